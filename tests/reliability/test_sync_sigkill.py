"""A server SIGKILLed mid-push loses no headcount op and applies none twice.

A real ``madoguchi serve`` runs in its own process on this run's database. One device
pushes batches of 20 to 50 ``headcount.add`` ops without pause while the test SIGKILLs
the server at random moments (mostly while a push is in flight: before, during or after
its commit) and starts it again. The client retries until every op is acknowledged.

Then, read straight from the database: one headcount row per op sent, the deltas sum to
what was sent, the rows' ``op_id`` set is exactly the set sent (none twice, none missing),
and the device's high-water mark is its last ``seq``.

Rounds: ``MADOGUCHI_SIGKILL_ROUNDS`` (default 20 when ``CI`` is set, else 5; with ``CI``
set the test insists on at least 20). ``MADOGUCHI_SIGKILL_SEED`` repeats a run's choices
(timing still varies).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import httpx
import pytest

from server.app import create_app
from server.settings import Settings
from server.sync.tables import Device
from tests import dbutil
from tests.support.cleanup import forget_devices, remove_test_rows_async
from tests.support.field import OFFICE_CATEGORIES, open_session, slots
from tests.support.harness import ROOT, open_client
from tests.support.sync_client import SyncClient, SyncFailed, sign_in

pytestmark = pytest.mark.slow

CI_MIN_ROUNDS = 20
ROUNDS = int(os.environ.get("MADOGUCHI_SIGKILL_ROUNDS") or (20 if os.environ.get("CI") else 5))
SEED = int(os.environ.get("MADOGUCHI_SIGKILL_SEED") or random.SystemRandom().randrange(2**32))
SITE = 1  # 本庁舎 市民課, an office site
CATEGORIES = OFFICE_CATEGORIES
SLOTS = 6
START_WITHIN = 30.0  # seconds for the server to answer /health after a start
TEST_WITHIN = 150.0  # seconds for the whole test
DRAIN_WITHIN = 60.0  # seconds for the client to empty its outbox once the kills stop


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``madoguchi serve`` in a process group of its own, which the test kills and restarts."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None
        self.log: TextIO | None = None
        self.starts = 0

    async def start(self) -> None:
        """Start the server and wait until /health answers."""
        env = {
            **os.environ,
            "MADOGUCHI_PORT": str(self.port),
            "MADOGUCHI_HOST": "127.0.0.1",
            "MADOGUCHI_WORKERS": "1",
        }
        self.log = self.log or self.log_path.open("a", encoding="utf-8")
        self.log.write(f"\n--- start {self.starts + 1} ---\n")
        self.log.flush()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server.cli",
            "serve",
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.starts += 1
        deadline = time.monotonic() + START_WITHIN
        async with httpx.AsyncClient(base_url=self.base, timeout=2) as probe:
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await probe.get("/health")).status_code == 200:
                        return
                if self.process.returncode is not None or time.monotonic() > deadline:
                    await self.stop()
                    raise RuntimeError(f"server did not start:\n{self.log_tail()}")
                await asyncio.sleep(0.05)

    async def kill(self) -> None:
        """SIGKILL the server's process group (it never gets to clean up) and reap it."""
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), timeout=10)

    async def stop(self) -> None:
        """Kill the server if it runs and close its log."""
        await self.kill()
        if self.log is not None:
            self.log.close()
            self.log = None

    def log_tail(self, size: int = 3000) -> str:
        if self.log is not None:
            self.log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-size:]


@dataclass
class Field:
    settings: Settings
    database_url: str
    session: int
    operator: int
    slots: list[dt.datetime]
    devices: list[str] = field(default_factory=list)


@pytest.fixture
async def office(settings: Settings, database_url: str) -> AsyncIterator[Field]:
    """An open session at an office and its operator (made in this process)."""
    app = create_app(settings)  # binds the tables for the setup below
    made: Field | None = None
    try:
        async with open_client(app):
            ids = await open_session(settings, site_id=SITE)
            made = Field(
                settings=settings,
                database_url=database_url,
                session=ids["session"],
                operator=ids["operator"],
                slots=slots(settings, SLOTS),
            )
            yield made
    finally:
        forget_devices(database_url, made.devices if made else [])
        await remove_test_rows_async(database_url)


@pytest.fixture
async def server(scratch_folder: Path) -> AsyncIterator[Server]:
    """A server the test starts, kills and restarts; killed at the end whatever happens."""
    running = Server(scratch_folder / f"sigkill-{uuid.uuid4().hex[:8]}.log")
    try:
        yield running
    finally:
        await running.stop()


@dataclass
class Tally:
    kills: int = 0
    kills_in_flight: int = 0
    kills_after_commit: int = 0
    commit_watches: int = 0
    ops: int = 0
    batches: int = 0


async def push_continuously(
    client: SyncClient, office: Field, rng: random.Random, stop: asyncio.Event, tally: Tally
) -> None:
    """Make 20–50 headcount ops and sync them, again and again, until told to stop."""
    deadline = time.monotonic() + TEST_WITHIN
    while not stop.is_set() and time.monotonic() < deadline:
        for _ in range(rng.randint(20, 50)):
            client.enqueue(
                "headcount.add",
                {
                    "work_session_id": office.session,
                    "slot_start": rng.choice(office.slots).isoformat(),
                    "category": rng.choice(CATEGORIES),
                    "delta": rng.randint(1, 5),
                },
            )
        tally.batches += 1
        await client.sync(rng.randint(20, 50), within=max(1.0, deadline - time.monotonic()))
    tally.ops = client.last_seq


async def stored_mark(device_id: str) -> int:
    """The device's high-water mark as committed (read in this process, not via the server)."""
    row = await Device.select(Device.high_water).where(Device.uid == device_id).first()
    return int(row["high_water"]) if row else 0


async def catch_a_commit(client: SyncClient, typical: float, tally: Tally, tries: int = 8) -> bool:
    """Return True as soon as a push has committed while its answer is not in yet.

    Watches a few pushes at most; False if every answer came back before its commit was
    seen.
    """
    for _ in range(tries):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client.in_flight.wait(), timeout=5)
        tally.commit_watches += 1
        deadline = time.monotonic() + 4 * typical + 1
        while client.in_flight.is_set() and time.monotonic() < deadline:
            if await stored_mark(client.device_id) > client.high_water:
                return client.in_flight.is_set()
        # Answered before the commit was seen: watch the next push.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client.answered.wait(), timeout=5)
        client.answered.clear()
    return False


async def kill_repeatedly(
    server: Server, client: SyncClient, rng: random.Random, rounds: int, tally: Tally
) -> None:
    """SIGKILL the server ``rounds`` times, restarting it each time.

    Rounds take turns aiming: anywhere (the server may be idle between pushes), at a random
    moment inside a push (parsing, applying, committing or answering), and right after a
    push has committed but before the client has its answer (the answer is lost, so the
    client must resend ops the server already holds).
    """
    for number in range(rounds):
        aim = ("anywhere", "inside a push", "after a commit")[number % 3]
        caught = False
        if aim == "anywhere":
            await asyncio.sleep(rng.uniform(0, 0.4))
        else:
            recent = sorted(client.log.durations[-10:]) or [0.1]
            typical = recent[len(recent) // 2]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(client.in_flight.wait(), timeout=5)
            if aim == "inside a push":
                await asyncio.sleep(rng.uniform(0, 1.1 * typical))
            else:
                caught = await catch_a_commit(client, typical, tally)
        in_flight = client.in_flight.is_set()
        await server.kill()  # no await before this: the answer must not slip in
        tally.kills += 1
        tally.kills_in_flight += in_flight
        tally.kills_after_commit += caught
        await asyncio.sleep(rng.uniform(0, 0.2))  # the client meets a dead port for a while
        client.answered.clear()
        await server.start()
        # Let at least one push through before the next kill, so every round tests a commit.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client.answered.wait(), timeout=10)


def check_results(client: SyncClient) -> None:
    """No op was refused, and no answer the client saw applied an op twice."""
    applied: Counter[str] = Counter()
    for op_id, results in client.log.results.items():
        for result in results:
            assert result["status"] in ("applied", "duplicate"), f"a valid op was answered {result}"
            applied[op_id] += result["status"] == "applied"
    twice = {op_id: n for op_id, n in applied.items() if n > 1}
    assert not twice, f"ops answered 'applied' more than once: {twice}"


async def test_sigkilled_server_applies_every_op_exactly_once(
    office: Field, server: Server, database_url: str
) -> None:
    """Every op pushed through repeated SIGKILLs is stored exactly once."""
    if os.environ.get("CI"):
        assert ROUNDS >= CI_MIN_ROUNDS, f"CI must kill at least {CI_MIN_ROUNDS} times"
    rng = random.Random(SEED)  # noqa: S311 - test choices, not secrets
    started = time.monotonic()
    await server.start()
    tally = Tally()
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
        await sign_in(http, office.operator, office.settings)
        client = await SyncClient.register(http, "sigkill tablet", actor_id=office.operator)
        office.devices.append(client.device_id)
        stop = asyncio.Event()
        pusher = asyncio.create_task(push_continuously(client, office, rng, stop, tally))
        killer = asyncio.create_task(kill_repeatedly(server, client, rng, ROUNDS, tally))
        try:
            # A pusher that fails (or a killer that does) ends the kills at once.
            await asyncio.wait(
                {pusher, killer}, timeout=TEST_WITHIN, return_when=asyncio.FIRST_COMPLETED
            )
            stop.set()
            if not killer.done():
                killer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await killer
                await server.kill()  # it may have been cut off halfway: start afresh
                await server.start()
            else:
                killer.result()
            await asyncio.wait_for(pusher, timeout=DRAIN_WITHIN)
            await client.sync(50, within=DRAIN_WITHIN)
        except (SyncFailed, TimeoutError) as error:
            pytest.fail(f"{error!r} (seed {SEED}); server log:\n{server.log_tail()}")
        finally:
            for task in (pusher, killer):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
    resent = sum(
        result["status"] == "duplicate"
        for results in client.log.results.values()
        for result in results
    )
    context = (
        f"seed {SEED}, {tally.kills} kills ({tally.kills_in_flight} during a push, "
        f"{tally.kills_after_commit} of them after its commit, seen in "
        f"{tally.commit_watches} watched pushes), "
        f"{resent} ops resent after their answer was lost, "
        f"{client.last_seq} ops in {tally.batches} batches, {client.log.pushes} pushes "
        f"answered (median {statistics.median(client.log.durations or [0]) * 1000:.0f} ms), "
        f"{client.log.connection_errors} connection errors, "
        f"{time.monotonic() - started:.1f}s"
    )
    print(context)  # shown with -s or -rP

    assert not client.log.server_errors, f"5xx answers: {client.log.server_errors} ({context})"
    assert tally.kills == ROUNDS, context
    if ROUNDS >= 3:
        assert tally.kills_after_commit >= 1, (
            f"no kill landed between commit and answer ({context})"
        )
    assert client.last_seq > 0 and not client.outbox, context
    sent = {op["op_id"]: op["payload"]["delta"] for op in client.sent}
    rows = dbutil.fetch(
        database_url, f"SELECT op_id, delta FROM headcount WHERE work_session = {office.session}"
    )
    stored = Counter(str(op_id) for op_id, _ in rows)
    twice = sorted(op_id for op_id, n in stored.items() if n > 1)
    missing = sorted(set(sent) - set(stored))
    extra = sorted(set(stored) - set(sent))
    assert not (twice or missing or extra), (
        f"{len(twice)} stored twice {twice[:5]}, {len(missing)} missing {missing[:5]}, "
        f"{len(extra)} unknown {extra[:5]} ({context})"
    )
    assert len(rows) == len(sent), context
    assert sum(int(str(delta)) for _, delta in rows) == sum(sent.values()), context
    marks = dbutil.fetch(
        database_url, f"SELECT high_water FROM device WHERE uid = '{client.device_id}'"
    )
    assert [int(str(m)) for (m,) in marks] == [client.last_seq], f"mark {marks} ({context})"
    check_results(client)
