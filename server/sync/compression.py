"""A request's body, read within a limit and inflated when it came gzipped.

Tablets gzip large batches (``Content-Encoding: gzip``).
"""

from __future__ import annotations

import zlib

from litestar.exceptions import ClientException, HTTPException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import Receive, Scope


def inflate(body: bytes, limit: int) -> bytes:
    """Gunzip ``body``, refusing more than ``limit`` bytes of output (a "zip bomb" stops
    there instead of filling memory).

    Raises:
        ClientException: Not gzip.
        HTTPException: Larger than ``limit`` once inflated (413).
    """
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as error:
        raise ClientException("The body is not valid gzip.") from error
    if len(data) > limit or inflater.unconsumed_tail:
        raise HTTPException(status_code=413, detail="The body is too large once inflated.")
    return data


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The request's body, gunzipped if it says it is gzip, of at most ``limit`` bytes as
    sent and as inflated.

    Raises:
        RequestEntityTooLarge: More than ``limit`` bytes sent (or announced).
        ClientException: Said to be gzip and is not.
        HTTPException: Larger than ``limit`` once inflated (413).
    """
    encoding = b""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise RequestEntityTooLarge
        if name == b"content-encoding":
            encoding = value.lower()
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientException("The client left before sending its whole body.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    return inflate(body, limit) if encoding == b"gzip" else body
