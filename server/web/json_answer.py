"""JSON answers for the sync API, encoded and gzipped in one step each.

Litestar's compression middleware writes every answer through ``gzip.GzipFile`` (about
0.1 ms of Python per answer besides the deflate itself); push answers come hundreds a
second from busy venues, so their routes opt out of it (:data:`OWN_COMPRESSION`) and
compress here with one ``zlib`` call. At level 1: a push answer is mostly op ids (random
UUIDs), so level 6 made a 500-op answer only 6 % smaller (13.1 KB against 14.0 KB) for
2.4 times the time (0.64 ms against 0.27 ms).
"""

from __future__ import annotations

import zlib
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.enums import MediaType

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


def json_answer(
    request: Request[Any, Any, Any], value: Any, status_code: int = 200
) -> Response[bytes]:
    """:func:`encode_answer` as the response to ``request``.

    Args:
        request: The request answered (its ``Accept-Encoding``).
        value: Anything msgspec encodes.
        status_code: The answer's status.

    Returns:
        The response.
    """
    body, headers = encode_answer(value, request.headers.get("accept-encoding", ""))
    return Response(body, status_code=status_code, media_type=MediaType.JSON, headers=headers)
