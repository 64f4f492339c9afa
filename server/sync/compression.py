"""Compressed request bodies: tablets gzip large batches (``Content-Encoding: gzip``)."""

from __future__ import annotations

import zlib

from litestar.enums import ScopeType
from litestar.exceptions import ClientException, HTTPException
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send
from litestar.types.asgi_types import HTTPDisconnectEvent, HTTPRequestEvent

# A batch inflates to at most this: a "zip bomb" stops here instead of filling memory.
MAX_INFLATED = 32 * 1024 * 1024


def inflate(body: bytes, limit: int = MAX_INFLATED) -> bytes:
    """Gunzip ``body``, refusing more than ``limit`` bytes of output.

    Raises:
        ClientException: Not gzip, or too large once inflated.
    """
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as error:
        raise ClientException("The body is not valid gzip.") from error
    if len(data) > limit or inflater.unconsumed_tail:
        raise HTTPException(status_code=413, detail="The body is too large once inflated.")
    return data


def gzip_request_middleware(app: ASGIApp) -> ASGIApp:
    """Inflate a gzip-encoded request body before the route reads it."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", [])) if scope["type"] == ScopeType.HTTP else {}
        if headers.get(b"content-encoding", b"").lower() != b"gzip":
            await app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = inflate(b"".join(chunks))
        scope["headers"] = [
            (name, value)
            for name, value in scope["headers"]
            if name not in (b"content-encoding", b"content-length")
        ] + [(b"content-length", str(len(body)).encode())]
        sent = False

        async def replay() -> ReceiveMessage:
            nonlocal sent
            if sent:
                return HTTPDisconnectEvent(type="http.disconnect")
            sent = True
            return HTTPRequestEvent(type="http.request", body=body, more_body=False)

        await app(scope, replay, send)

    return middleware
