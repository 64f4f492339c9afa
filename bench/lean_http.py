"""A minimal HTTP/1.1 keep-alive client for pushing to our own server on loopback.

The benchmark client shares the machine's two cores with the server, so every
millisecond it spends is taken from the figure. httpx costs about 0.5 ms a request plus
stdlib ``json`` (about 1 ms to encode a 500-op batch); this client writes the request in
one ``write``, encodes and decodes with msgspec, and does nothing else. It is not a
general client: plain ``http://`` only, one connection, one request at a time (a device
pushes one batch at a time), no redirects, no cookie jar (the cookies are fixed headers).

Failures raise httpx's exceptions (all ``httpx.TransportError``), so code written for
httpx, such as ``SyncClient``'s retries, handles them unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import msgspec

# Set by this client itself, never copied from an httpx client.
_OWN_HEADERS = frozenset(
    {"host", "accept-encoding", "connection", "content-length", "content-type", "cookie"}
)
_JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Response:
    """One answer: status, body (already gunzipped) and headers with lower-case names."""

    status_code: int
    content: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        """The body as UTF-8 (our server answers JSON and HTML in UTF-8)."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body decoded by msgspec."""
        return msgspec.json.decode(self.content)


class LeanHTTP:
    """One keep-alive connection to ``base_url`` carrying fixed headers on every request.

    Args:
        base_url: ``http://host:port`` of the server.
        headers: Sent with every request (the session cookie, the CSRF header).
        timeout: Seconds for a whole request, connecting included; None waits forever.
    """

    def __init__(
        self, base_url: str, headers: Mapping[str, str] | None = None, timeout: float | None = 30.0
    ) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"LeanHTTP speaks plain http:// only, not {base_url!r}")
        self.host, self.port = url.hostname, url.port or 80
        self.timeout = timeout
        fixed = {"host": url.netloc, "accept-encoding": "gzip", **(headers or {})}
        # Pre-encoded once: every request only appends its own lines to it.
        self._fixed = "".join(f"{name}: {value}\r\n" for name, value in fixed.items()).encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @classmethod
    def from_httpx(cls, http: httpx.AsyncClient, timeout: float | None = None) -> LeanHTTP:
        """A client with ``http``'s base URL, headers and cookies (as one ``Cookie`` header).

        Args:
            http: A signed-in httpx client; it may be closed afterwards.
            timeout: Seconds per request; by default ``http``'s read timeout.
        """
        headers = {k: v for k, v in http.headers.items() if k.lower() not in _OWN_HEADERS}
        # Through the jar: ``Cookies.items()`` raises when two domains share a name.
        cookies = "; ".join(f"{c.name}={c.value}" for c in http.cookies.jar)
        if cookies:
            headers["cookie"] = cookies
        wait = timeout if timeout is not None else http.timeout.read
        return cls(str(http.base_url).rstrip("/"), headers, wait)

    async def connect(self) -> None:
        """Open the connection now (else the first request opens it)."""
        try:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        except OSError as error:
            raise httpx.ConnectError(
                f"cannot connect to {self.host}:{self.port}: {error}"
            ) from error

    async def post(
        self,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """POST ``json`` (encoded by msgspec) or raw ``content`` with extra ``headers``."""
        if content is None:
            content, headers = msgspec.json.encode(json), {**_JSON, **(headers or {})}
        return await self.request("POST", path, content, headers)

    async def get(self, path: str, *, params: Mapping[str, str | int] | None = None) -> Response:
        """GET ``path`` with ``params`` as its query string."""
        return await self.request("GET", f"{path}?{urlencode(params)}" if params else path)

    async def request(
        self,
        method: str,
        target: str,
        content: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send one request and read its answer, within the timeout.

        Raises:
            httpx.TransportError: Connecting, sending or reading failed, or timed out. The
                connection is dropped; the next request opens a new one.
        """
        try:
            return await asyncio.wait_for(
                self._exchange(method, target, content, headers), self.timeout
            )
        except TimeoutError as error:
            self._drop()
            raise httpx.ReadTimeout(f"{method} {target}: no answer in {self.timeout} s") from error
        except BaseException:
            # Cancelled or failed half-way: what is left on the connection is unknown.
            self._drop()
            raise

    async def _exchange(
        self, method: str, target: str, content: bytes, headers: Mapping[str, str] | None
    ) -> Response:
        # The server closes idle keep-alive connections (uvicorn after 5 s). When its FIN
        # (EOF) or a reset (the transport closing) has arrived already, nothing was sent
        # yet: reconnecting is safe, as browsers do.
        if (
            self._reader is None
            or self._writer is None
            or self._reader.at_eof()
            or self._writer.is_closing()
        ):
            self._drop()
            await self.connect()
        assert self._reader is not None and self._writer is not None
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        head = f"{method} {target} HTTP/1.1\r\n{extra}content-length: {len(content)}\r\n"
        # One write: head and body leave in one segment, no Nagle/delayed-ACK stall.
        try:
            self._writer.write(head.encode() + self._fixed + b"\r\n" + content)
            await self._writer.drain()
        except OSError as error:
            raise httpx.WriteError(f"{method} {target}: {error!r}") from error
        try:
            response, keep = await self._read_response(self._reader)
        except (OSError, asyncio.IncompleteReadError) as error:
            # Includes a server that closed a kept-alive connection while the request left.
            raise httpx.ReadError(f"{method} {target}: connection lost ({error!r})") from error
        except (ValueError, asyncio.LimitOverrunError) as error:
            raise httpx.RemoteProtocolError(f"{method} {target}: bad answer ({error})") from error
        except zlib.error as error:
            raise httpx.DecodingError(f"{method} {target}: bad gzip ({error})") from error
        if not keep:
            self._drop()
        return response

    @staticmethod
    async def _read_response(reader: asyncio.StreamReader) -> tuple[Response, bool]:
        """Read one answer; also whether the connection stays open after it."""
        status = 100
        while 100 <= status < 200:  # skip interim answers (``100 Continue``)
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            version, status_text = head[0].split(" ", 2)[:2]
            status = int(status_text)
        headers: dict[str, str] = {}
        for line in head[1:-2]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        keep = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
        if status in (204, 304):
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            parts = []
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append((await reader.readexactly(size + 2))[:-2])  # chunk, then CRLF
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, up to a blank line
                pass
            body = b"".join(parts)
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        else:  # no length: the body runs to the end of the connection
            body, keep = await reader.read(), False
        if headers.get("content-encoding", "").lower() == "gzip":
            body = zlib.decompress(body, wbits=16 + zlib.MAX_WBITS)  # 16+: gzip framing
        return Response(status, body, headers), keep

    def _drop(self) -> None:
        """Forget the connection (closing its socket) so the next request opens a new one."""
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def aclose(self) -> None:
        """Close the connection."""
        writer = self._writer
        self._drop()
        if writer is not None:
            with contextlib.suppress(OSError):
                await writer.wait_closed()
