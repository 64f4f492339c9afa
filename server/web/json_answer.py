"""JSON answers for the sync API, encoded and gzipped in one step each.

Litestar's compression middleware writes every answer through ``gzip.GzipFile``; push and
pull answers come many a second from busy venues, so their routes opt out of it
(:data:`OWN_COMPRESSION`) and compress here with one ``zlib`` call, at level 1: an answer is
mostly op ids (random UUIDs), which a higher level hardly shrinks for several times the
time (docs/performance.md, the ledger).
"""

from __future__ import annotations

import zlib
from typing import Any

import msgspec
from litestar.types import Send

OWN_COMPRESSION = "own_compression"  # a route ``opt`` key: the middleware leaves it alone
GZIP_LEVEL = 6  # the app's level for everything else (see server.app)
ANSWER_LEVEL = 1
GZIP_MINIMUM = 1024  # bytes: smaller answers go as they are
GZIP_CONTAINER = 31  # zlib's wbits for a gzip header and trailer

_encoder = msgspec.json.Encoder()


def encode_answer(value: Any, accept_encoding: str) -> tuple[bytes, dict[str, str]]:
    """``value`` as JSON, gzipped when the client accepts it and it is worth it.

    Args:
        value: Anything msgspec encodes.
        accept_encoding: The request's ``Accept-Encoding``.

    Returns:
        The body and the headers that describe it (besides its type).
    """
    body = _encoder.encode(value)
    headers = {"vary": "Accept-Encoding"}
    if len(body) >= GZIP_MINIMUM and "gzip" in accept_encoding:
        body = zlib.compress(body, ANSWER_LEVEL, GZIP_CONTAINER)
        headers["content-encoding"] = "gzip"
    return body, headers


async def send_answer(send: Send, value: Any, accept_encoding: str, status: int = 200) -> None:
    """Send :func:`encode_answer`'s body as the whole answer of an ASGI route handler.

    Args:
        send: The ASGI send callable.
        value: Anything msgspec encodes.
        accept_encoding: The request's ``Accept-Encoding``.
        status: The answer's status.
    """
    body, headers = encode_answer(value, accept_encoding)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                *((name.encode(), text.encode()) for name, text in headers.items()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
