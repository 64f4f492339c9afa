"""Target 4, many devices: tablets pushing and pulling at once against several workers.

Each simulated device is what a tablet is: its own login session (its own operator, signed
in over HTTP), its own registered device and its own keep-alive connection. Every
``period`` seconds (each device from its own random phase) it pushes a batch of
``headcount.add`` ops and then pulls (``GET /api/sync/pull``) from its cursor until the
server says nothing more is waiting. The devices are spread over several open work
sessions at the office site, ``PER_SESSION`` tablets to a session, as at a busy venue.

Every request's client time and server time (the request log's ``duration_ms``) are kept;
any answer other than 200, any connection error or timeout, and any op not ``applied`` is
an error. Server CPU is the CPU time of the server's processes over the load's wall time.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import data
from bench.figures import p99
from bench.server import Server, process_cpu_seconds
from server.sync import ops
from tests.support.field import apply, open_session
from tests.support.identities import make_staff
from tests.support.sync_client import PULL, SyncClient, sign_in

PER_SESSION = 10  # tablets working the same open session
REQUEST_TIMEOUT = 30.0  # a request slower than this is an error (a tablet would give up)
KEEPALIVE_S = 4.0  # under uvicorn's 5 s keep-alive timeout
MAX_PAGES = 50  # pull pages per cycle at most; a device still behind catches up next cycle


@dataclass
class Load:
    """How hard the devices work."""

    devices: int
    batch: int
    period_s: float
    seconds: float  # load time; a cycle started before the end finishes


@dataclass
class Tally:
    """Everything the devices saw."""

    push_ms: list[float] = field(default_factory=list)
    pull_ms: list[float] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    pushes: int = 0
    pulls: int = 0
    ops: int = 0
    errors: list[str] = field(default_factory=list)
    cycles: int = 0
    late_cycles: int = 0  # cycles that ran past the start of the next one
    capped_pulls: int = 0


async def tablets(made: data.Field, devices: int) -> list[tuple[int, int]]:
    """(work session, operator) for each device: open sessions, ``PER_SESSION`` a piece.

    The field's own session is the first; more are opened at the office site, and each
    tablet gets its own operator, assigned to its session.
    """
    sessions = [(made.session, made.manager)]
    while len(sessions) * PER_SESSION < devices:
        ids = await open_session(made.settings, site_id=data.SITE)
        sessions.append((ids["session"], ids["manager"]))
    pairs = [(made.session, made.operator)]
    for number in range(1, devices):
        session, manager = sessions[number // PER_SESSION]
        operator = await make_staff("operator")
        await apply(
            ops.WorkSessionAssign(
                payload=ops.AssignStaff(work_session_id=session, staff_id=operator, duty="operator")
            ),
            manager,
            "overall_manager",
            made.settings,
        )
        pairs.append((session, operator))
    return pairs


async def _sign_in_device(
    server: Server,
    made: data.Field,
    session: int,
    operator: int,
    label: str,
    gate: asyncio.Semaphore,
) -> tuple[httpx.AsyncClient, SyncClient, int]:
    async with gate:  # setup, not load: a few tablets at a time
        # uvicorn closes a keep-alive connection idle for 5 s, the period of a cycle: a
        # request sent on it just then fails, which a browser retries on a new connection
        # and httpx does not. Dropping idle connections sooner keeps that race out.
        http = httpx.AsyncClient(
            base_url=server.base,
            timeout=REQUEST_TIMEOUT,
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_S),
        )
        await sign_in(http, operator, made.settings)
        client = await SyncClient.register(http, label, actor_id=operator, within=30)
    return http, client, session


async def _pull_all(client: SyncClient, cursor: int, tally: Tally) -> int:
    """Pull from ``cursor`` until nothing more waits (at most ``MAX_PAGES``)."""
    for _ in range(MAX_PAGES):
        began = time.perf_counter()
        response = await client.http.get(PULL, params={"cursor": cursor, "limit": 500})
        tally.pull_ms.append((time.perf_counter() - began) * 1000)
        tally.pulls += 1
        if response.status_code != 200:
            tally.errors.append(f"pull {response.status_code}: {response.text[:200]}")
            return cursor
        tally.request_ids.append(response.headers["x-request-id"])
        body = response.json()
        cursor = int(body["next_cursor"])
        if not body["has_more"]:
            return cursor
    tally.capped_pulls += 1
    return cursor


async def _push(client: SyncClient, batch: int, tally: Tally) -> None:
    pushed = client.outbox[:batch]
    began = time.perf_counter()
    response = await client.post_batch(pushed)
    tally.push_ms.append((time.perf_counter() - began) * 1000)
    tally.pushes += 1
    if response.status_code != 200:
        # The ops stay in the outbox and go again next cycle, as on a tablet.
        tally.errors.append(f"push {response.status_code}: {response.text[:200]}")
        return
    tally.request_ids.append(response.headers["x-request-id"])
    body = response.json()
    client.acknowledge(pushed, body)
    tally.ops += len(body["results"])
    odd = [r["status"] for r in body["results"] if r["status"] != "applied"]
    if odd:
        tally.errors.append(f"push answered {len(odd)} ops {sorted(set(odd))}")


def _where(error: httpx.TransportError) -> str:
    try:
        return f"{error.request.method} {error.request.url.path}"
    except RuntimeError:  # an error raised outside a request has none
        return "request"


async def _device(
    client: SyncClient,
    session: int,
    made: data.Field,
    load: Load,
    cursor: int,
    stop_at: float,
    rng: random.Random,
    tally: Tally,
) -> None:
    """One tablet's cycles: push a batch, pull until caught up, wait for the next tick."""
    due = time.perf_counter() + rng.uniform(0, load.period_s)
    while True:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        started = time.perf_counter()
        if started >= stop_at:
            return
        for _ in range(load.batch):
            client.enqueue("headcount.add", {**made.headcount(rng), "work_session_id": session})
        try:
            await _push(client, load.batch, tally)
            cursor = await _pull_all(client, cursor, tally)
        except httpx.TransportError as error:  # timeouts included
            tally.errors.append(f"{_where(error)}: {error!r}")
        tally.cycles += 1
        # Behind schedule (a slow server): the next cycle starts at once, but missed ticks
        # are not made up in a burst.
        due += load.period_s
        if time.perf_counter() > due:
            tally.late_cycles += 1
            due = time.perf_counter()


def _pg_cpu_seconds() -> float:
    """CPU seconds of every ``postgres`` process on the machine (the database's share)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += process_cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


async def many_devices(server: Server, made: data.Field, load: Load, seed: int) -> dict[str, Any]:
    """``load.devices`` tablets at once for ``load.seconds``; p99, errors and server CPU.

    Args:
        server: The running server (started with the worker count to measure).
        made: Its database, with the field's open session.
        load: Devices, batch size, cycle period and load time.
        seed: Seed for phases and payloads.

    Returns:
        ``value`` is the client p99 over every push and pull in milliseconds; server p99,
        error count, CPU and request counts beside it.
    """
    rng = random.Random(seed)
    pairs = await tablets(made, load.devices)
    gate = asyncio.Semaphore(10)
    signed = await asyncio.gather(
        *(
            _sign_in_device(server, made, session, operator, f"bench tablet {n}", gate)
            for n, (session, operator) in enumerate(pairs)
        )
    )
    try:
        # Setup is not load: start every device at the present end of history (a tablet
        # that has synced before), found by one device paging through it.
        cursor = await _pull_all(signed[0][1], 0, Tally())
        tally = Tally()
        pg = data.is_postgres(made.url)
        server_cpu, pg_cpu = server.cpu_seconds(), _pg_cpu_seconds() if pg else 0.0
        harness_cpu, began = time.process_time(), time.perf_counter()
        await asyncio.gather(
            *(
                _device(
                    client,
                    session,
                    made,
                    load,
                    cursor,
                    began + load.seconds,
                    random.Random(rng.random()),
                    tally,
                )
                for _, client, session in signed
            )
        )
        wall = time.perf_counter() - began
        server_cpu = server.cpu_seconds() - server_cpu
        pg_cpu = (_pg_cpu_seconds() - pg_cpu) if pg else 0.0
        harness_cpu = time.process_time() - harness_cpu
    finally:
        await asyncio.gather(*(http.aclose() for http, _, _ in signed))
    server_ms = await server.durations(tally.request_ids, within=60)
    every = tally.push_ms + tally.pull_ms
    return {
        "value": p99(every),
        "errors": len(tally.errors),
        "error_samples": sorted(set(tally.errors))[:5],
        "server_p99_ms": p99(server_ms),
        "client_push_p99_ms": p99(tally.push_ms),
        "client_pull_p99_ms": p99(tally.pull_ms),
        "client_median_ms": sorted(every)[len(every) // 2],
        "server_median_ms": sorted(server_ms)[len(server_ms) // 2],
        "devices": load.devices,
        "workers": server.workers,
        "batch": load.batch,
        "period_s": load.period_s,
        "seconds": wall,
        "pushes": tally.pushes,
        "pulls": tally.pulls,
        "ops_applied": tally.ops,
        "ops_per_s": tally.ops / wall,
        "offered_ops_per_s": load.devices * load.batch / load.period_s,
        "requests_per_s": (tally.pushes + tally.pulls) / wall,
        "cycles": tally.cycles,
        "late_cycles": tally.late_cycles,
        "capped_pulls": tally.capped_pulls,
        "server_cpu_s": server_cpu,
        "server_cpu_cores": server_cpu / wall,
        "postgres_cpu_cores": pg_cpu / wall if pg else None,
        "harness_cpu_cores": harness_cpu / wall,
    }


def describe(run: dict[str, Any], engine: str) -> str:
    """A note for the report: what the run did and what the server spent."""
    pg = (
        f", every `postgres` process on the machine {run['postgres_cpu_cores']:.2f} cores"
        if run.get("postgres_cpu_cores") is not None
        else ""
    )
    samples = f" (e.g. {run['error_samples'][0]})" if run["error_samples"] else ""
    return (
        f"Many devices on {engine}: {run['devices']} devices, {run['workers']} server "
        f"workers, a {run['batch']}-op push and a pull every {run['period_s']:g} s each for "
        f"{run['seconds']:.0f} s: {run['pushes']:,} pushes and {run['pulls']:,} pulls "
        f"({run['requests_per_s']:.0f} requests/s, {run['ops_per_s']:,.0f} ops/s applied of "
        f"{run['offered_ops_per_s']:,.0f} offered; {run['late_cycles']:,} of "
        f"{run['cycles']:,} cycles ran past the next one's start). "
        f"p99 client {run['value']:.0f} ms "
        f"(push {run['client_push_p99_ms']:.0f}, pull {run['client_pull_p99_ms']:.0f}), "
        f"server {run['server_p99_ms']:.0f} ms; median client {run['client_median_ms']:.0f} "
        f"ms, server {run['server_median_ms']:.1f} ms. Errors: {run['errors']}{samples}. "
        f"CPU: server processes {run['server_cpu_cores']:.2f} cores "
        f"({run['server_cpu_s']:.1f} s over {run['seconds']:.0f} s){pg}, this harness "
        f"{run['harness_cpu_cores']:.2f} cores."
    )
