"""Sync push is exactly once under any delivery: totals and incidents equal each op applied once.

Hypothesis draws one to three devices, each with a run of ``headcount.add`` ops (positive
deltas only, so the order across devices cannot change a total) and a few
``incident.create`` ops with fresh uids, all on one open work session. Each device's ops
are cut into batches, and a schedule delivers those batches through real HTTP (the app in
this process): interleaved across devices, duplicated, reordered, sometimes several at
once, sometimes with the answer lost on the way back. Every answer is checked against a
model of the device's high-water mark (duplicate, applied, or stopped at the gap). Then
each device's client syncs what it still holds, resending from ``high_water + 1``.

Property: the per-category totals and the set of incidents equal applying every op exactly
once; every op was answered ``applied`` exactly once over all answers; every device's
high-water mark equals its last ``seq``.

Examples: ``MADOGUCHI_SYNC_EXAMPLES`` (default 25; CI may set more).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from server.app import create_app
from server.settings import Settings
from tests import dbutil
from tests.support.cleanup import clear_session_rows, forget_devices, remove_test_rows_async
from tests.support.field import OFFICE_CATEGORIES, open_session, slots
from tests.support.harness import open_client
from tests.support.sync_client import SyncClient, sign_in

pytestmark = pytest.mark.slow

SYNC_EXAMPLES = int(os.environ.get("MADOGUCHI_SYNC_EXAMPLES", "25"))
SITE = 1  # 本庁舎 市民課, an office site: office categories
CATEGORIES = OFFICE_CATEGORIES
INCIDENT_CATEGORIES = ("complaint", "system_failure", "equipment_failure", "lost_property")
SEVERITIES = ("low", "medium", "high", "critical")
SLOTS = 6
MAX_OPS = 12


# --- the plan hypothesis draws -------------------------------------------------------------


@dataclass(frozen=True)
class Headcount:
    category: str
    slot: int
    delta: int

    def payload(self, rig: Rig, uid: str) -> tuple[str, dict[str, Any]]:
        """The op's type and payload as the device sends it (a count has no uid)."""
        return "headcount.add", {
            "work_session_id": rig.session,
            "slot_start": rig.slots[self.slot].isoformat(),
            "category": self.category,
            "delta": self.delta,
        }


@dataclass(frozen=True)
class Incident:
    category: str
    severity: str

    def payload(self, rig: Rig, uid: str) -> tuple[str, dict[str, Any]]:
        """The op's type and payload as the device sends it."""
        occurred = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        return "incident.create", {
            "uid": uid,
            "site_id": SITE,
            "work_session_id": rig.session,
            "category": self.category,
            "severity": self.severity,
            "occurred_at": occurred.isoformat(),
            "description": f"sync property test {uid[:8]}",
        }


@dataclass(frozen=True)
class DevicePlan:
    ops: tuple[Headcount | Incident, ...]
    batches: tuple[tuple[int, int], ...]  # [start, end) indexes into ops


@dataclass(frozen=True)
class Deliver:
    device: int
    batch: int
    answer_lost: bool


@dataclass(frozen=True)
class Sync:
    device: int
    batch_size: int


@dataclass(frozen=True)
class Plan:
    devices: tuple[DevicePlan, ...]
    steps: tuple[tuple[Deliver, ...] | Sync, ...]  # a tuple of deliveries runs concurrently
    recovery: tuple[Sync, ...]


HEADCOUNTS = st.builds(
    Headcount,
    category=st.sampled_from(CATEGORIES),
    slot=st.integers(0, SLOTS - 1),
    delta=st.integers(1, 5),
)
INCIDENTS = st.builds(
    Incident,
    category=st.sampled_from(INCIDENT_CATEGORIES),
    severity=st.sampled_from(SEVERITIES),
)
# Mostly headcounts, a few incidents.
DEVICE_OPS = st.lists(
    st.one_of(HEADCOUNTS, HEADCOUNTS, HEADCOUNTS, INCIDENTS), min_size=1, max_size=MAX_OPS
)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    """Devices with their ops cut into batches, a delivery schedule, and a recovery order."""
    devices = []
    for _ in range(draw(st.integers(1, 3), label="devices")):
        device_ops = draw(DEVICE_OPS)
        cuts = draw(st.sets(st.integers(1, len(device_ops)), max_size=len(device_ops)))
        bounds = sorted({0, len(device_ops), *cuts})
        devices.append(DevicePlan(tuple(device_ops), tuple(itertools.pairwise(bounds))))
    count = len(devices)
    deliver = st.integers(0, count - 1).flatmap(
        lambda d: st.builds(
            Deliver,
            device=st.just(d),
            batch=st.integers(0, len(devices[d].batches) - 1),
            answer_lost=st.booleans(),
        )
    )
    sync = st.builds(Sync, device=st.integers(0, count - 1), batch_size=st.integers(1, 6))
    step = st.one_of(
        deliver.map(lambda one: (one,)),
        st.lists(deliver, min_size=2, max_size=3).map(tuple),
        sync,
    )
    total_batches = sum(len(d.batches) for d in devices)
    steps = draw(st.lists(step, min_size=1, max_size=2 * total_batches + 2), label="steps")
    order = draw(st.permutations(range(count)), label="recovery order")
    sizes = draw(st.lists(st.integers(1, MAX_OPS), min_size=count, max_size=count))
    recovery = tuple(Sync(d, size) for d, size in zip(order, sizes, strict=True))
    return Plan(tuple(devices), tuple(steps), recovery)


# --- the rig: one app, one open session, a signed-in operator ----------------------------------


class Rig:
    """The app's HTTP client, an open session at an office, and its signed-in operator."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings, database_url: str) -> None:
        self.http = http
        self.settings = settings
        self.database_url = database_url
        self.session = 0
        self.operator = 0
        self.slots: list[dt.datetime] = []
        self.devices: list[str] = []

    def __repr__(self) -> str:
        return f"Rig(session={self.session}, operator={self.operator})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


@pytest.fixture
async def rig(settings: Settings, database_url: str) -> AsyncIterator[Rig]:
    """The app over HTTP in this loop, an open session at an office, its operator signed in."""
    app = create_app(settings)
    made = Rig(httpx.AsyncClient(), settings, database_url)
    try:
        async with open_client(app) as http:
            ids = await open_session(settings, site_id=SITE)
            await sign_in(http, ids["operator"], settings)
            made.http, made.session, made.operator = http, ids["session"], ids["operator"]
            made.slots = slots(settings, SLOTS)
            yield made
    finally:
        await made.http.aclose()
        forget_devices(database_url, made.devices)
        await remove_test_rows_async(database_url)


# --- running a plan --------------------------------------------------------------------------


def expected_answer(ops: list[dict[str, Any]], mark: int) -> dict[str, Any]:
    """What a correct server answers to ``ops`` when the device's mark is ``mark``."""
    statuses: list[tuple[int, str]] = []
    gap = None
    for op in ops:
        if op["seq"] <= mark:
            statuses.append((op["seq"], "duplicate"))
        elif op["seq"] != mark + 1:
            gap = {"expected": mark + 1, "got": op["seq"]}
            break
        else:
            mark = op["seq"]
            statuses.append((op["seq"], "applied"))
    return {"high_water": mark, "statuses": statuses, "gap": gap}


class Run:
    """One example: devices, their batches, the model marks and every answer seen."""

    def __init__(self, rig: Rig, plan: Plan) -> None:
        self.rig = rig
        self.plan = plan
        self.clients: list[SyncClient] = []
        self.batches: list[list[list[dict[str, Any]]]] = []
        self.marks: list[int] = []
        self.applied: Counter[str] = Counter()
        self.seen: set[str] = set()

    async def start(self) -> None:
        for index, device in enumerate(self.plan.devices):
            client = await SyncClient.register(
                self.rig.http, f"property {index}", actor_id=self.rig.operator
            )
            self.rig.devices.append(client.device_id)
            made: list[dict[str, Any]] = []
            for op in device.ops:
                kind, body = op.payload(self.rig, uid_for(client, len(made)))
                made.append(client.enqueue(kind, body))
            self.clients.append(client)
            self.batches.append([made[a:b] for a, b in device.batches])
            self.marks.append(0)

    def count(self, body: dict[str, Any]) -> None:
        if body["gap"] is not None:
            self.seen.add("a batch stopped at a gap")
        for result in body["results"]:
            if result["status"] == "duplicate":
                self.seen.add("a duplicate was answered")
            assert result["status"] in ("applied", "duplicate"), f"a valid op was answered {result}"
            if result["status"] == "applied":
                self.applied[result["op_id"]] += 1

    async def post(self, delivery: Deliver) -> tuple[Deliver, list[dict[str, Any]], Any]:
        ops = self.batches[delivery.device][delivery.batch]
        response = await self.clients[delivery.device].post_batch(ops)
        assert response.status_code == 200, f"push answered {response.status_code}: {response.text}"
        return delivery, ops, response.json()

    async def deliver(self, group: tuple[Deliver, ...]) -> None:
        if len(group) == 1:
            delivery, ops, body = await self.post(group[0])
            want = expected_answer(ops, self.marks[delivery.device])
            got = {
                "high_water": body["high_water"],
                "statuses": [(r["seq"], r["status"]) for r in body["results"]],
                "gap": body["gap"],
            }
            assert got == want, (
                f"device {delivery.device} at mark {self.marks[delivery.device]}, batch of seqs "
                f"{[op['seq'] for op in ops]}: expected {want}, got {body}"
            )
            answers = [(delivery, ops, body)]
        else:
            # Every push finishes before a failure is raised: none is left writing.
            outcomes = await asyncio.gather(*(self.post(d) for d in group), return_exceptions=True)
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
            answers = [o for o in outcomes if not isinstance(o, BaseException)]
            self.seen.add("batches were pushed concurrently")
        # Answers of concurrent pushes are taken in in commit order (their marks only grow).
        for delivery, ops, body in sorted(answers, key=lambda a: a[2]["high_water"]):
            client = self.clients[delivery.device]
            client.check_answer(ops, body)
            self.count(body)
            self.marks[delivery.device] = max(self.marks[delivery.device], body["high_water"])
            if delivery.answer_lost:
                self.seen.add("an answer was lost")
            else:
                client.acknowledge(ops, body)

    async def sync(self, step: Sync) -> None:
        client = self.clients[step.device]
        seen = {op_id: len(results) for op_id, results in client.log.results.items()}
        await client.sync(step.batch_size, within=30)
        for op_id, results in client.log.results.items():
            for result in results[seen.get(op_id, 0) :]:
                assert result["status"] in ("applied", "duplicate"), result
                if result["status"] == "applied":
                    self.applied[op_id] += 1
        assert client.high_water == client.last_seq
        self.marks[step.device] = client.high_water

    async def play(self) -> None:
        for step in self.plan.steps:
            if isinstance(step, Sync):
                await self.sync(step)
            else:
                await self.deliver(step)
        for step in self.plan.recovery:
            await self.sync(step)
        if any(c.log.gaps for c in self.clients):
            self.seen.add("a client took in a gap answer")
        for seen in sorted(self.seen):
            event(seen)


def uid_for(client: SyncClient, index: int) -> str:
    """A fresh incident uid (the device id is fresh per example)."""
    return str(uuid.uuid4())


def stored(rig: Rig, sql: str) -> list[tuple[Any, ...]]:
    return dbutil.fetch(rig.database_url, sql)


def check_outcome(run: Run) -> None:
    """The database holds each op exactly once and every mark is at its device's last seq."""
    rig, clients = run.rig, run.clients
    sent = [op for client in clients for op in client.sent]
    headcounts = [op for op in sent if op["type"] == "headcount.add"]
    want_totals: Counter[str] = Counter()
    for op in headcounts:
        want_totals[op["payload"]["category"]] += op["payload"]["delta"]
    rows = stored(
        rig,
        "SELECT category, SUM(delta) FROM headcount "
        f"WHERE work_session = {rig.session} GROUP BY category",
    )
    totals = {str(c): int(str(n)) for c, n in rows}
    assert totals == dict(want_totals), f"totals {totals} != {dict(want_totals)}"
    # The running sums the pages and pulls read agree with the counts themselves.
    cells = stored(
        rig,
        "SELECT category, SUM(n) FROM headcount_cell "
        f"WHERE work_session = {rig.session} GROUP BY category",
    )
    kept = {str(c): int(str(n)) for c, n in cells if int(str(n)) or str(c) in totals}
    assert kept == totals, f"cells {kept} != counts {totals}"
    op_ids = [
        str(r[0])
        for r in stored(rig, f"SELECT op_id FROM headcount WHERE work_session = {rig.session}")
    ]
    want_ids = [op["op_id"] for op in headcounts]
    assert sorted(op_ids) == sorted(want_ids), (
        f"headcount rows: {len(op_ids)} stored, {len(want_ids)} sent; twice "
        f"{[k for k, n in Counter(op_ids).items() if n > 1]}, missing {set(want_ids) - set(op_ids)}"
    )
    incidents = {
        str(uid): (str(category), str(severity))
        for uid, category, severity in stored(
            rig,
            f"SELECT uid, category, severity FROM incident WHERE work_session = {rig.session}",
        )
    }
    want_incidents = {
        op["payload"]["uid"]: (op["payload"]["category"], op["payload"]["severity"])
        for op in sent
        if op["type"] == "incident.create"
    }
    assert incidents == want_incidents, f"incidents differ: {incidents} != {want_incidents}"
    twice = {k: n for k, n in run.applied.items() if n != 1}
    never = {op["op_id"] for op in sent} - set(run.applied)
    assert not twice and not never, f"answered applied {twice} times; never applied: {never}"
    listed = ", ".join(f"'{c.device_id}'" for c in clients)
    marks = dict(stored(rig, f"SELECT uid, high_water FROM device WHERE uid IN ({listed})"))
    want_marks = {c.device_id: c.last_seq for c in clients}
    got_marks = {str(k): int(str(v)) for k, v in marks.items()}
    assert got_marks == want_marks, f"high-water marks {got_marks} != last seqs {want_marks}"


@hypothesis_settings(
    max_examples=SYNC_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=plans())
async def test_any_delivery_applies_each_op_exactly_once(rig: Rig, plan: Plan) -> None:
    """Batches delivered interleaved, twice, out of order or concurrently count exactly once."""
    clear_session_rows(rig.database_url, rig.session)
    run = Run(rig, plan)
    await run.start()
    await run.play()
    check_outcome(run)
