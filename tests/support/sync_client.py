"""A device's side of sync for tests: sign in, register, keep an outbox, push until acknowledged.

It behaves as the tablet's outbox should: ops get the next ``seq`` when they are made, a
push always starts at the first op the server has not acknowledged, everything at or below
the answered ``high_water`` is dropped, and after a gap the next push starts again at
``high_water + 1``. Connection errors (a server that is down or was killed mid-request)
are retried until a deadline.

Pushes go through any client shaped as :class:`HTTP`: an ``httpx.AsyncClient`` (tests)
or the benchmark's leaner ``bench.lean_http.LeanHTTP`` (both raise
``httpx.TransportError`` when the connection fails). Batches are encoded by msgspec, as
the server decodes them, rather than by httpx's stdlib ``json``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import msgspec

from server import db
from server.auth.service import create_login_session
from server.auth.web import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from server.settings import Settings

SCHEMA_VERSION = 1
DEVICES = "/api/devices"
PUSH = "/api/sync/push"
PULL = "/api/sync/pull"
STATUSES = frozenset({"applied", "duplicate", "conflict", "rejected"})
JSON_HEADERS = {"content-type": "application/json"}


class Answer(Protocol):
    """What a push's caller reads of an answer (``httpx.Response`` has it)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    def json(self) -> Any: ...


class HTTP(Protocol):
    """The calls a device makes once registered (``httpx.AsyncClient`` has them)."""

    async def post(self, url: str, *, content: bytes, headers: Mapping[str, str]) -> Answer: ...

    async def get(self, url: str, *, params: Mapping[str, str | int] | None = None) -> Answer: ...


class SyncFailed(AssertionError):
    """The server answered something the protocol does not allow, or a bound ran out."""


async def sign_in(http: httpx.AsyncClient, staff_id: int, settings: Settings) -> None:
    """Give ``http`` a login session for ``staff_id`` and the CSRF token header.

    The login session is made through ``create_login_session`` (the app's tables must be
    bound: build the app first). A GET hands out the ``madoguchi_csrf`` cookie, which the
    header then echoes.
    """
    async with db.writing():
        raw = await create_login_session(staff_id, settings.auth)
    http.cookies.set(SESSION_COOKIE, raw)
    if CSRF_COOKIE not in http.cookies:
        response = await http.get("/health")
        assert CSRF_COOKIE in http.cookies, f"/health set no CSRF cookie ({response.status_code})"
    http.headers[CSRF_HEADER] = http.cookies[CSRF_COOKIE]


@dataclass
class PushLog:
    """What one device saw: pushes answered, connection errors, server errors."""

    pushes: int = 0
    connection_errors: int = 0
    server_errors: list[str] = field(default_factory=list)
    gaps: int = 0
    errors_in_a_row: int = 0
    durations: list[float] = field(default_factory=list)  # seconds, answered pushes
    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class SyncClient:
    """One device: its id, its outbox and the server's last acknowledged ``seq``."""

    def __init__(self, http: HTTP, device_id: str, actor_id: int | None) -> None:
        self.http = http
        self.device_id = device_id
        self.actor_id = actor_id
        self.outbox: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.next_seq = 1
        self.high_water = 0
        self.log = PushLog()
        self.in_flight = asyncio.Event()  # set while a push waits for its answer
        self.answered = asyncio.Event()  # set by every push the server answered

    @classmethod
    async def register(
        cls,
        http: httpx.AsyncClient,
        label: str,
        *,
        actor_id: int | None = None,
        within: float = 30.0,
    ) -> SyncClient:
        """Register a device for the signed-in person (retrying connection errors)."""
        deadline = time.monotonic() + within
        while True:
            try:
                response = await http.post(DEVICES, json={"label": label})
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
        if response.status_code not in (200, 201):
            raise SyncFailed(f"POST {DEVICES} answered {response.status_code}: {response.text}")
        body = response.json()
        if body.get("high_water") != 0:
            raise SyncFailed(f"a new device must start at high_water 0: {body}")
        return cls(http, str(body["device_id"]), actor_id)

    # --- the outbox ----------------------------------------------------------------------

    def enqueue(self, op_type: str, payload: dict[str, Any], **envelope: Any) -> dict[str, Any]:
        """Make an op with a fresh ``op_id`` and the next ``seq``; it waits in the outbox."""
        op = {
            "op_id": str(uuid.uuid4()),
            "device_id": self.device_id,
            "seq": self.next_seq,
            "type": op_type,
            "actor_id": self.actor_id,
            "client_time": dt.datetime.now(dt.UTC).isoformat(),
            "base_version": None,
            "payload": payload,
            **envelope,
        }
        self.next_seq += 1
        self.outbox.append(op)
        self.sent.append(op)
        return op

    @property
    def pending(self) -> list[dict[str, Any]]:
        """Ops the server has not acknowledged yet, in ``seq`` order."""
        return self.outbox

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the newest op made (0 before any)."""
        return self.next_seq - 1

    # --- talking to the server -------------------------------------------------------------

    async def post_batch(self, ops: list[dict[str, Any]]) -> Answer:
        """POST one batch as is (no retry, no bookkeeping): the raw wire call."""
        body = {"device_id": self.device_id, "schema_version": SCHEMA_VERSION, "ops": ops}
        # msgspec, not httpx's ``json=``: stdlib json costs the client ~1 ms a 500-op batch.
        return await self.http.post(PUSH, content=msgspec.json.encode(body), headers=JSON_HEADERS)

    def check_answer(self, ops: list[dict[str, Any]], body: dict[str, Any]) -> None:
        """Check an answer's shape against the batch it answers.

        Results name a prefix of the batch, one each, in order; a gap names the op where
        the batch stopped; ``high_water`` never moves back.
        """
        results = body.get("results")
        if not isinstance(body.get("high_water"), int) or not isinstance(results, list):
            raise SyncFailed(f"malformed push answer: {body}")
        if len(results) > len(ops):
            raise SyncFailed(f"{len(results)} results for {len(ops)} ops: {body}")
        for op, result in zip(ops, results, strict=False):
            if (result.get("op_id"), result.get("seq")) != (op["op_id"], op["seq"]):
                raise SyncFailed(f"result {result} does not answer op seq {op['seq']}")
            if result.get("status") not in STATUSES:
                raise SyncFailed(f"unknown status in {result}")
        gap = body.get("gap")
        if gap is None and len(results) != len(ops):
            raise SyncFailed(f"no gap, yet only {len(results)} of {len(ops)} ops answered")
        if gap is not None:
            stopped = ops[len(results)] if len(results) < len(ops) else None
            if stopped is None or gap != {
                "expected": body["high_water"] + 1,
                "got": stopped["seq"],
            }:
                raise SyncFailed(f"gap {gap} does not match the batch: {body}")
        if body["high_water"] < self.high_water:
            raise SyncFailed(f"high_water went back from {self.high_water}: {body}")

    def acknowledge(self, ops: list[dict[str, Any]], body: dict[str, Any]) -> None:
        """Take in an answer: keep results, drop every op at or below ``high_water``."""
        self.check_answer(ops, body)
        for result in body["results"]:
            self.log.results.setdefault(result["op_id"], []).append(result)
        if body.get("gap") is not None:
            self.log.gaps += 1
        self.high_water = max(self.high_water, int(body["high_water"]))
        # The outbox is in seq order: what is acknowledged is a prefix of it.
        done = 0
        while done < len(self.outbox) and self.outbox[done]["seq"] <= self.high_water:
            done += 1
        del self.outbox[:done]

    async def push_once(self, batch_size: int) -> dict[str, Any] | None:
        """Push the first ``batch_size`` unacknowledged ops once.

        Returns:
            The answer, or None when the connection failed or the server answered 5xx
            (both are retried by :meth:`sync`).

        Raises:
            SyncFailed: Any other refusal (4xx), or an answer that breaks the protocol.
        """
        ops = self.outbox[:batch_size]
        self.in_flight.set()
        began = time.monotonic()
        try:
            response = await self.post_batch(ops)
        except httpx.TransportError:
            self.log.connection_errors += 1
            return None
        finally:
            self.in_flight.clear()
        if response.status_code >= 500:
            self.log.server_errors.append(f"{response.status_code} {response.text[:300]}")
            self.log.errors_in_a_row += 1
            return None
        self.log.errors_in_a_row = 0
        if response.status_code != 200:
            raise SyncFailed(f"push answered {response.status_code}: {response.text[:500]}")
        body: dict[str, Any] = response.json()
        self.log.pushes += 1
        self.log.durations.append(time.monotonic() - began)
        self.answered.set()
        self.acknowledge(ops, body)
        return body

    async def sync(
        self,
        batch_size: int = 100,
        *,
        within: float = 60.0,
        max_attempts: int = 10_000,
        max_server_errors: int = 3,
    ) -> None:
        """Push until the outbox is empty, retrying connection errors and 5xx answers.

        Args:
            batch_size: Ops per push.
            within: Seconds before giving up.
            max_attempts: Pushes before giving up.
            max_server_errors: 5xx answers in a row before giving up (a server that keeps
                failing the same batch will not heal by itself).

        Raises:
            SyncFailed: A bound ran out, or the server broke the protocol.
        """
        deadline = time.monotonic() + within
        attempts = 0
        delay = 0.02
        while self.outbox:
            attempts += 1
            if self.log.errors_in_a_row >= max_server_errors:
                raise SyncFailed(
                    f"device {self.device_id}: {max_server_errors} server errors in a row "
                    f"pushing from seq {self.outbox[0]['seq']}: "
                    f"{self.log.server_errors[-max_server_errors:]}"
                )
            if attempts > max_attempts or time.monotonic() > deadline:
                raise SyncFailed(
                    f"device {self.device_id}: {len(self.outbox)} ops still unacknowledged "
                    f"after {attempts - 1} attempts (high_water {self.high_water}, "
                    f"log {self.log.pushes} pushes, {self.log.connection_errors} connection "
                    f"errors, server errors {self.log.server_errors[-3:]})"
                )
            if await self.push_once(batch_size) is None:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.5)
            else:
                delay = 0.02


__all__ = [
    "HTTP",
    "PULL",
    "PUSH",
    "SCHEMA_VERSION",
    "Answer",
    "SyncClient",
    "SyncFailed",
    "sign_in",
]
