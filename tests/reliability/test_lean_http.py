"""The benchmark's lean HTTP client (``bench/lean_http.py``) speaks to the real server.

Against a real ``madoguchi serve`` on this run's database: a push is applied, a gzipped
answer is decoded, and a server that went away gives a connection error that
``SyncClient`` retries. Against a tiny asyncio server in the test: chunked and gzipped
answers are parsed, a kept-alive connection is reused, a connection closed mid-request
is retried, and a silent server times out.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.figures import lean_device
from bench.lean_http import LeanHTTP
from bench.server import Server
from server.app import create_app
from server.settings import Settings
from tests.support.cleanup import remove_test_rows_async
from tests.support.field import open_session, slots
from tests.support.harness import open_client
from tests.support.sync_client import SyncClient

pytestmark = pytest.mark.slow

SITE = 1  # an office site seeded by the migrations


# --- against the real server -------------------------------------------------------------------


@dataclass
class Rig:
    """A running server, an open session's operator and payloads for its slots."""

    server: Server
    settings: Settings
    session: int
    operator: int
    slots: list[dt.datetime]
    opened: list[LeanHTTP] = field(default_factory=list)

    def headcount(self, number: int) -> dict[str, Any]:
        """A valid ``headcount.add`` payload (slot and category picked by ``number``)."""
        return {
            "work_session_id": self.session,
            "slot_start": self.slots[number % len(self.slots)].isoformat(),
            "category": ("issuance_reserved", "pin_reset", "consultation")[number % 3],
            "delta": 1,
        }

    async def device(self, label: str) -> SyncClient:
        """A device registered over httpx that then pushes over ``LeanHTTP``."""
        return await lean_device(self.server, self.operator, self.settings, label, self.opened)


@pytest.fixture
async def rig(settings: Settings, database_url: str, scratch_folder: Path) -> AsyncIterator[Rig]:
    """A real server on this run's database and an open session (made in this process)."""
    app = create_app(settings)  # binds the tables for sign-in and the session below
    server = Server({}, scratch_folder / f"lean-{uuid.uuid4().hex[:8]}.log")
    made: Rig | None = None
    try:
        async with open_client(app):
            ids = await open_session(settings, site_id=SITE)
            await server.start()
            made = Rig(server, settings, ids["session"], ids["operator"], slots(settings, 6))
            yield made
    finally:
        for lean in made.opened if made else []:
            await lean.aclose()
        await server.stop()
        await remove_test_rows_async(database_url)


async def test_push_over_lean_http_is_applied(rig: Rig) -> None:
    """A push of a few ops over LeanHTTP is answered 200, every op applied, with a request id."""
    client = await rig.device("lean push")
    ops = [client.enqueue("headcount.add", rig.headcount(n)) for n in range(5)]
    response = await client.post_batch(ops)
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"]
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["applied"] * 5
    client.acknowledge(ops, body)
    assert client.high_water == 5 and not client.outbox


async def test_gzipped_answer_is_decoded(rig: Rig) -> None:
    """A large push answer comes back gzipped (Accept-Encoding: gzip) and is decoded."""
    client = await rig.device("lean gzip")
    ops = [client.enqueue("headcount.add", rig.headcount(n)) for n in range(100)]
    response = await client.post_batch(ops)
    assert response.status_code == 200, response.text
    assert response.headers.get("content-encoding") == "gzip"
    assert [r["status"] for r in response.json()["results"]] == ["applied"] * 100


async def test_server_gone_and_back_is_retried_by_sync_client(rig: Rig) -> None:
    """A killed server gives a transport error SyncClient retries; after a restart the stale
    kept-alive connection is replaced and the outbox drains."""
    client = await rig.device("lean restart")
    client.enqueue("headcount.add", rig.headcount(0))
    await client.sync(10, within=10)
    await rig.server.stop()
    client.enqueue("headcount.add", rig.headcount(1))
    assert await client.push_once(10) is None
    assert client.log.connection_errors == 1
    await rig.server.start()
    client.enqueue("headcount.add", rig.headcount(2))
    await client.sync(10, within=30)
    assert client.high_water == 3 and not client.outbox
    # Restarted again while idle: the server's FIN is seen before sending, so the next
    # push reconnects without an error.
    await rig.server.stop()
    await rig.server.start()
    client.enqueue("headcount.add", rig.headcount(3))
    await client.sync(10, within=30)
    assert client.high_water == 4 and client.log.connection_errors == 1


# --- against a tiny server in the test ---------------------------------------------------------

Replier = Callable[[int, bytes, bytes], bytes | None]  # (request number, head, body) -> reply


@dataclass
class Tiny:
    """An HTTP server of a few lines: ``answer`` writes each reply; None closes instead."""

    answer: Replier
    base: str = ""
    connections: int = 0
    requests: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                self.requests.append((head, body))
                out = self.answer(len(self.requests), head, body)
                if out is None:
                    return
                writer.write(out)
                await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def tiny() -> AsyncIterator[Callable[[Replier], Awaitable[Tiny]]]:
    """``await tiny(answer)`` starts a tiny server on loopback; all are closed at the end."""
    servers: list[asyncio.Server] = []

    async def start(answer: Replier) -> Tiny:
        made = Tiny(answer)
        server = await asyncio.start_server(made.handle, "127.0.0.1", 0)
        servers.append(server)
        made.base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        return made

    try:
        yield start
    finally:
        for server in servers:
            server.close()
            await server.wait_closed()


def reply(body: bytes, *head: str) -> bytes:
    """A 200 answer with ``body`` as is and the header lines ``head``."""
    lines = "".join(f"{line}\r\n" for line in ("HTTP/1.1 200 OK", *head))
    return f"{lines}\r\n".encode() + body


def chunked(body: bytes, *sizes: int) -> bytes:
    """``body`` in chunks of ``sizes`` (the rest in a last one), an extension and a trailer."""
    parts, at = [], 0
    for size in (*sizes, len(body)):
        piece, at = body[at : at + size], at + size
        if piece:
            parts.append(b"%x;note=1\r\n%s\r\n" % (len(piece), piece))
    return b"".join(parts) + b"0\r\nx-trailer: yes\r\n\r\n"


def push_answer(body: bytes) -> bytes:
    """A valid push answer to the batch in ``body``: every op applied."""
    ops = json.loads(body)["ops"]
    answer = {
        "high_water": ops[-1]["seq"],
        "results": [{"op_id": o["op_id"], "seq": o["seq"], "status": "applied"} for o in ops],
        "gap": None,
    }
    return reply(json.dumps(answer).encode(), f"content-length: {len(json.dumps(answer))}")


async def test_chunked_and_gzip_answers_are_parsed_on_one_connection(
    tiny: Callable[[Replier], Awaitable[Tiny]],
) -> None:
    """Content-Length, chunked and gzipped-chunked answers all parse, on one kept-alive
    connection, and the copied cookie and CSRF headers go with every request."""
    data = json.dumps({"changes": list(range(300))}).encode()
    packed = gzip.compress(data)
    answers = [
        reply(data, f"content-length: {len(data)}"),
        reply(chunked(data, 7, 100), "transfer-encoding: chunked"),
        reply(chunked(packed, 10), "Transfer-Encoding: chunked", "Content-Encoding: gzip"),
    ]
    server = await tiny(lambda number, head, body: answers[number - 1])
    async with httpx.AsyncClient(
        base_url=server.base, headers={"x-csrf-token": "t0ken"}, cookies={"sid": "s1"}
    ) as http:
        lean = LeanHTTP.from_httpx(http, timeout=5)
    try:
        first = await lean.get("/api/sync/pull", params={"cursor": 3, "limit": 500})
        second = await lean.post("/api/sync/push", json={"ops": []})
        third = await lean.get("/x")
    finally:
        await lean.aclose()
    for response in (first, second, third):
        assert response.status_code == 200
        assert response.json() == {"changes": list(range(300))}
    assert third.headers["content-encoding"] == "gzip"
    assert server.connections == 1
    head = server.requests[0][0]
    assert head.startswith(b"GET /api/sync/pull?cursor=3&limit=500 HTTP/1.1\r\n")
    assert b"\r\ncookie: sid=s1\r\n" in head and b"\r\nx-csrf-token: t0ken\r\n" in head
    assert b"\r\naccept-encoding: gzip\r\n" in head
    assert server.requests[1][1] == b'{"ops":[]}'


async def test_connection_closed_mid_request_is_retried_by_sync_client(
    tiny: Callable[[Replier], Awaitable[Tiny]],
) -> None:
    """A connection the server closes before answering raises an httpx.TransportError,
    which SyncClient counts and retries on a new connection."""
    server = await tiny(lambda number, head, body: None if number == 1 else push_answer(body))
    lean = LeanHTTP(server.base, timeout=5)
    try:
        client = SyncClient(lean, "device-1", None)
        for number in range(3):
            client.enqueue("headcount.add", {"delta": number})
        await client.sync(10, within=10)
    finally:
        await lean.aclose()
    assert client.log.connection_errors == 1 and client.log.pushes == 1
    assert client.high_water == 3 and not client.outbox
    assert server.connections == 2


async def test_silent_server_times_out(tiny: Callable[[Replier], Awaitable[Tiny]]) -> None:
    """A server that never answers raises httpx.ReadTimeout (a TransportError) in time."""
    server = await tiny(lambda number, head, body: b"")
    lean = LeanHTTP(server.base, timeout=0.2)
    try:
        with pytest.raises(httpx.TransportError) as raised:
            await lean.post("/api/sync/push", json={})
    finally:
        await lean.aclose()
    assert isinstance(raised.value, httpx.ReadTimeout)
