"""The measurements: push ingest, replay, pull, backlog and wire size.

Every figure is measured ``runs`` times; the report keeps each run's value and gives the
median, min and max. Timed pushes go through :class:`bench.lean_http.LeanHTTP`, not httpx:
the client shares the machine with the server, and httpx's own cost per request (about
0.5 ms, plus stdlib ``json``) would be counted against the server.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
import math
import os
import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass

import httpx

from bench import data
from bench.lean_http import LeanHTTP
from bench.server import Server
from server.settings import Settings
from tests.support.sync_client import PULL, SyncClient, sign_in

CLIENT_TIMEOUT = 300.0
MAX_SERVER_ERRORS = 25  # 5xx answers in a row before a device gives up
PUSH_SLICES = 4  # a push run and its ceiling take turns in this many slices


@dataclass(frozen=True)
class Sizes:
    """How big each measurement is."""

    runs: int
    push_ops_one_device: int
    push_ops_per_device_20: int
    replay_batch: int
    backlog_ops: int
    history: tuple[int, ...]
    history_max: int  # the largest history tried, if building it looks quick enough
    pull_samples_empty: int
    pull_samples_page: int
    page: int = 500
    # Many devices (bench/devices.py): tablets, ops per push, seconds between cycles, load.
    devices: int = 200
    devices_batch: int = 50
    devices_period_s: float = 5.0
    devices_seconds: float = 45.0
    # Field page (bench/field_page.py): offline reloads and taps per run.
    field_reloads: int = 10
    field_taps: int = 20
    # Reports (bench/reports.py): sites, increments in the month and in the month before
    # (the report's comparison), journals per run.
    report_sites: int = 30
    report_increments: int = 1_000_000
    report_previous: int = 200_000
    journal_samples: int = 20
    reconcile_samples: int = 100  # reconciliation pages per run (its p99 is the 99th)

    @classmethod
    def full(cls) -> Sizes:
        return cls(
            runs=3,
            # A second or so per push figure and as much for its ceiling: at 3,000 ops a
            # run lasted 0.1 s and one WAL checkpoint or pause moved a ratio by 0.1.
            push_ops_one_device=20_000,
            push_ops_per_device_20=2_000,
            replay_batch=500,
            backlog_ops=10_000,
            history=(0, 10_000, 100_000),
            history_max=1_000_000,
            # A p99 of 100 samples was their second slowest; of 500, the fifth.
            pull_samples_empty=500,
            pull_samples_page=300,
        )

    @classmethod
    def smoke(cls) -> Sizes:
        return cls(
            runs=1,
            push_ops_one_device=200,
            push_ops_per_device_20=10,
            replay_batch=100,
            backlog_ops=300,
            history=(0, 1_000),
            history_max=0,
            pull_samples_empty=10,
            pull_samples_page=3,
            devices=10,
            devices_period_s=1.0,
            devices_seconds=3.0,
            field_reloads=3,
            field_taps=3,
            report_sites=3,
            report_increments=10_000,
            report_previous=2_000,
            journal_samples=3,
            reconcile_samples=3,
        )


def p99(values: list[float]) -> float:
    """99th percentile, nearest rank (with few samples it is the largest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


async def signed_in_client(server: Server, made: data.Field) -> httpx.AsyncClient:
    """An HTTP client with a login session for the operator and the CSRF header."""
    http = httpx.AsyncClient(base_url=server.base, timeout=CLIENT_TIMEOUT)
    await sign_in(http, made.operator, made.settings)
    return http


async def device(http: httpx.AsyncClient, made: data.Field, label: str) -> SyncClient:
    """A registered device for the signed-in operator."""
    return await SyncClient.register(http, label, actor_id=made.operator, within=30)


async def lean_device(
    server: Server, operator: int, settings: Settings, label: str, opened: list[LeanHTTP]
) -> SyncClient:
    """A device of ``operator``, signed in and registered over httpx, that then pushes over
    ``LeanHTTP``.

    The httpx client is closed once its cookies and CSRF header are copied. The
    ``LeanHTTP`` is connected (as httpx's pool is after registering) and added to
    ``opened``, which the caller closes.
    """
    async with httpx.AsyncClient(base_url=server.base, timeout=CLIENT_TIMEOUT) as http:
        await sign_in(http, operator, settings)
        client = await SyncClient.register(http, label, actor_id=operator, within=30)
    lean = LeanHTTP.from_httpx(http, timeout=CLIENT_TIMEOUT)
    opened.append(lean)
    await lean.connect()
    client.http = lean
    return client


async def close_all(opened: list[LeanHTTP]) -> None:
    """Close every ``LeanHTTP`` in ``opened``."""
    await asyncio.gather(*(lean.aclose() for lean in opened))


def statuses(clients: list[SyncClient]) -> Counter[str]:
    """Every result status the clients received."""
    seen: Counter[str] = Counter()
    for client in clients:
        for results in client.log.results.values():
            seen.update(r["status"] for r in results)
    return seen


# --- 1. push ingest -------------------------------------------------------------------------


async def push_ingest(
    server: Server,
    made: data.Field,
    *,
    batch: int,
    devices: int,
    per_device: int,
    seed: int,
    slices: int = PUSH_SLICES,
) -> dict[str, float]:
    """``devices`` devices at once, each pushing ``per_device`` headcount ops in batches of
    ``batch``; and the same rows through plain ``executemany`` (the ceiling).

    The two take turns in ``slices`` slices (a push slice, then its ceiling's), so a slow
    phase of the shared machine (a disk flush, another process) falls on both alike.
    """
    rng = random.Random(seed)
    opened: list[LeanHTTP] = []
    pushing = ceiling_s = 0.0
    share = max(1, per_device // slices)
    try:
        clients = [
            await lean_device(server, made.operator, made.settings, f"bench {i}", opened)
            for i in range(devices)
        ]
        left = per_device
        while left > 0:
            step = min(share, left)
            left -= step
            for client in clients:
                for _ in range(step):
                    client.enqueue("headcount.add", made.headcount(rng))
            began = time.perf_counter()
            # 5xx answers are retried with back-off, as a tablet does; they are counted.
            await asyncio.gather(
                *(
                    c.sync(batch, within=CLIENT_TIMEOUT, max_server_errors=MAX_SERVER_ERRORS)
                    for c in clients
                )
            )
            pushing += time.perf_counter() - began
            ceiling_s += devices * step / await data.ceiling(made, devices * step, batch, rng)
    finally:
        await close_all(opened)
    total = devices * per_device
    seen = statuses(clients)
    if seen != Counter({"applied": total}):
        raise RuntimeError(f"push answered {dict(seen)}, expected {total} applied")
    ops_per_s = total / pushing
    ceiling = total / ceiling_s
    return {
        "value": ops_per_s,
        "ceiling": ceiling,
        "ratio": ops_per_s / ceiling,
        "ops": total,
        "seconds": pushing,
        "ceiling_seconds": ceiling_s,
        "slices": math.ceil(per_device / share),
        "pushes": sum(c.log.pushes for c in clients),
        "server_errors": sum(len(c.log.server_errors) for c in clients),
        "connection_errors": sum(c.log.connection_errors for c in clients),
    }


# --- 2. replay ------------------------------------------------------------------------------


async def replay(server: Server, made: data.Field, *, batch: int, seed: int) -> dict[str, float]:
    """A batch pushed once, then the very same batch again (its answer was lost)."""
    rng = random.Random(seed)
    opened: list[LeanHTTP] = []
    try:
        client = await lean_device(server, made.operator, made.settings, "bench replay", opened)
        ops = [client.enqueue("headcount.add", made.headcount(rng)) for _ in range(batch)]
        times: list[float] = []
        ids: list[str] = []
        answers = []
        for _ in range(2):
            began = time.perf_counter()
            response = await client.post_batch(ops)
            times.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"push answered {response.status_code}: {response.text[:300]}")
            ids.append(response.headers["x-request-id"])
            answers.append(Counter(r["status"] for r in response.json()["results"]))
    finally:
        await close_all(opened)
    if answers != [Counter({"applied": batch}), Counter({"duplicate": batch})]:
        raise RuntimeError(f"replay answers {answers}")
    first, again = await server.durations(ids)
    return {
        "value": again,
        "ceiling": first,
        "ratio": again / first,
        "client_first_ms": times[0],
        "client_replay_ms": times[1],
    }


# --- 3. pull --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PullFrom:
    """Where a series of pulls goes: a server, a client signed in to it, the cursor, and how
    many changes each answer must hold."""

    server: Server
    http: httpx.AsyncClient
    cursor: int
    changes: int


async def _pull_once(source: PullFrom, limit: int, ids: list[str], client_ms: list[float]) -> None:
    began = time.perf_counter()
    response = await source.http.get(PULL, params={"cursor": source.cursor, "limit": limit})
    client_ms.append((time.perf_counter() - began) * 1000)
    if response.status_code != 200:
        raise RuntimeError(f"pull answered {response.status_code}: {response.text[:300]}")
    got = len(response.json()["changes"])
    if got != source.changes:
        raise RuntimeError(
            f"pull from {source.cursor} gave {got} changes, expected {source.changes}"
        )
    ids.append(response.headers["x-request-id"])


async def alternating_pulls(
    sources: list[PullFrom],
    limit: int,
    samples: int,
    *,
    block: int = 1,
    budget_s: float = 20.0,
) -> list[dict[str, float]]:
    """Up to ``samples`` pulls from each source on a warm connection, ``block`` from one,
    then ``block`` from the next, and round again (at least 3 each, and fewer once
    ``budget_s`` is spent): each source's p99 of server and client time.

    Taken in turns, the sources meet the machine as it is at the same moments. Measured
    one after the other, a machine whose speed drifts by the minute (a shared one) moved
    their ratio by as much as any difference between them; in turns of 10 pages, a slow
    spell still fell on one side. One by one, p99s of equal medians came within 10%.
    """
    ids: list[list[str]] = [[] for _ in sources]
    client_ms: list[list[float]] = [[] for _ in sources]
    deadline = time.perf_counter() + budget_s
    done = 0
    while done < samples and (done < 3 or time.perf_counter() <= deadline):
        step = min(block, samples - done)
        for source, its_ids, its_ms in zip(sources, ids, client_ms, strict=True):
            for _ in range(step):
                await _pull_once(source, limit, its_ids, its_ms)
        done += step
    found = []
    for source, its_ids, its_ms in zip(sources, ids, client_ms, strict=True):
        server_ms = await source.server.durations(its_ids)
        found.append(
            {
                "value": p99(server_ms),
                "client_p99_ms": p99(its_ms),
                "server_median_ms": sorted(server_ms)[len(server_ms) // 2],
                "samples": len(server_ms),
            }
        )
    return found


async def pull_samples(source: PullFrom, limit: int, samples: int) -> dict[str, float]:
    """:func:`alternating_pulls` from one source."""
    (found,) = await alternating_pulls([source], limit, samples)
    return found


# --- 4. backlog -----------------------------------------------------------------------------


async def backlog(server: Server, made: data.Field, *, ops: int, seed: int) -> dict[str, float]:
    """One device with ``ops`` queued ops, synced in batches of 500 until acknowledged."""
    rng = random.Random(seed)
    opened: list[LeanHTTP] = []
    try:
        client = await lean_device(server, made.operator, made.settings, "bench backlog", opened)
        for _ in range(ops):
            client.enqueue("headcount.add", made.headcount(rng))
        began = time.perf_counter()
        await client.sync(500, within=CLIENT_TIMEOUT, max_server_errors=MAX_SERVER_ERRORS)
        elapsed = time.perf_counter() - began
    finally:
        await close_all(opened)
    seen = statuses([client])
    if seen != Counter({"applied": ops}):
        raise RuntimeError(f"backlog answered {dict(seen)}")
    return {
        "value": elapsed,
        "ops": ops,
        "pushes": client.log.pushes,
        "server_errors": len(client.log.server_errors),
    }


# --- 5. wire --------------------------------------------------------------------------------


def uuidv7(moment: dt.datetime) -> str:
    """An op id as the tablet makes them (``static/js/outbox.js``)."""
    millis = int(moment.timestamp() * 1000)
    value = bytearray(millis.to_bytes(6, "big") + secrets.token_bytes(10))
    value[6] = (value[6] & 0x0F) | 0x70
    value[8] = (value[8] & 0x3F) | 0x80
    text = value.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def js_time(moment: dt.datetime) -> str:
    """``new Date().toISOString()``: milliseconds and a ``Z``."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def wire(server: Server, made: data.Field, *, seed: int, size: int = 500) -> dict[str, float]:
    """Bytes per headcount op in a ``size``-op batch shaped as the tablet sends it
    (``JSON.stringify``), gzip at zlib's default level; the server must accept it."""
    rng = random.Random(seed)
    http = await signed_in_client(server, made)
    try:
        client = await device(http, made, "bench wire")
        ops = []
        # A tablet makes ops over hours: one every 2–30 s (random milliseconds), which
        # changes the ids' time prefix and the client times as in the field.
        moment = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
        for seq in range(1, size + 1):
            moment += dt.timedelta(milliseconds=rng.randint(2_000, 30_000))
            ops.append(
                {
                    "op_id": uuidv7(moment),
                    "device_id": client.device_id,
                    "seq": seq,
                    "type": "headcount.add",
                    "actor_id": made.operator,
                    "client_time": js_time(moment),
                    "base_version": None,
                    "payload": made.headcount(rng),
                }
            )
        body = json.dumps(
            {"device_id": client.device_id, "schema_version": 1, "ops": ops},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        packed = gzip.compress(body, compresslevel=6, mtime=0)
        response = await http.post(
            "/api/sync/push",
            content=packed,
            headers={"content-type": "application/json", "content-encoding": "gzip"},
        )
    finally:
        await http.aclose()
    if response.status_code != 200 or response.json()["high_water"] != size:
        raise RuntimeError(f"gzip push answered {response.status_code}: {response.text[:300]}")
    return {
        "value": len(packed) / size,
        "json_bytes_per_op": len(body) / size,
        "gzip9_bytes_per_op": len(gzip.compress(body, compresslevel=9, mtime=0)) / size,
    }


def seed_base() -> int:
    """A seed for this run's choices (``BENCH_SEED`` repeats one)."""
    return int(os.environ.get("BENCH_SEED") or random.SystemRandom().randrange(2**31))
