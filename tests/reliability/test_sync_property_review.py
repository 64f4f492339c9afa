"""Nothing lost: whatever way a device's ops arrive, each ends applied or refused and kept.

Hypothesis draws devices whose outboxes mix good counts by the tablet's operator, counts
made by another person signed in on the same tablet, and poison ops (values the server
cannot take). Their ops arrive in batches through real HTTP: pushed by the operator, or
uploaded as exported files by the operator or by a supervisor, in any order, repeated,
with gaps. A model of each device's mark says who handled each op first.

Property: every push answer names each op applied, duplicate or rejected exactly as the
model says (an op refused before is answered rejected again, never duplicate); after a
final sync each op is, in the database, either applied once (its count stored) or refused
and kept for review with its reason, never both, never neither; good ops of the operator
always land whatever stood before them; a supervisor's upload applies another person's ops
as theirs; every mark is at its device's last seq.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from server.app import create_app
from server.settings import Settings
from tests import dbutil
from tests.support.cleanup import clear_session_rows, forget_devices, remove_test_rows_async
from tests.support.field import open_session, window
from tests.support.harness import open_client
from tests.support.identities import make_staff, sign_in

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("MADOGUCHI_SYNC_EXAMPLES", "25"))
Kind = Literal["good", "other", "poison"]
Via = Literal["push", "upload", "supervisor"]
KINDS: tuple[Kind, ...] = ("good", "good", "good", "other", "poison")
VIAS: tuple[Via, ...] = ("push", "upload", "supervisor")
POISON_VALUES: tuple[dict[str, Any], ...] = (
    {"payload": {"work_session_id": 2**64}},
    {"payload": {"work_session_id": 2**31}},
    {"payload": {"category": "issu\u0000ance"}},
    {"client_time": "9999-12-31T23:59:59+00:00"},
    {"payload": {"slot_start": "2026-12-03T10:00:00"}},
    {"op_id": "057830862716"},
)


@dataclass(frozen=True)
class Delivery:
    device: int
    start: int  # index of the first op of the batch
    end: int
    via: Via


@dataclass(frozen=True)
class Plan:
    outboxes: tuple[tuple[tuple[Kind, int], ...], ...]  # (kind, poison variant) per op
    deliveries: tuple[Delivery, ...]


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    kinds = st.tuples(st.sampled_from(KINDS), st.integers(0, len(POISON_VALUES) - 1))
    outboxes = draw(
        st.lists(st.lists(kinds, min_size=1, max_size=8).map(tuple), min_size=1, max_size=2)
    )

    def batch_of(d: int) -> st.SearchStrategy[tuple[int, int, int]]:
        size = len(outboxes[d])
        return st.tuples(st.integers(0, size - 1), st.integers(1, size)).map(
            lambda ab: (d, min(ab), max(ab[1], min(ab) + 1))
        )

    delivery = st.integers(0, len(outboxes) - 1).flatmap(batch_of)
    steps = draw(st.lists(st.tuples(delivery, st.sampled_from(VIAS)), max_size=8))
    return Plan(tuple(outboxes), tuple(Delivery(d, a, b, via) for (d, a, b), via in steps))


@dataclass
class Rig:
    http: httpx.AsyncClient
    settings: Settings
    url: str
    ids: dict[str, int] = field(default_factory=dict)
    slot: str = ""
    devices: list[str] = field(default_factory=list)
    signed_in: int = 0

    async def as_(self, staff_id: int) -> None:
        if self.signed_in != staff_id:
            await sign_in(self.http, staff_id, self.settings)
            self.signed_in = staff_id


@pytest.fixture
async def rig(settings: Settings, database_url: str) -> AsyncIterator[Rig]:
    app = create_app(settings)
    async with open_client(app) as http:
        made = Rig(http, settings, database_url)
        made.ids = await open_session(settings, site_id=1)
        made.ids["other"] = await make_staff("operator")
        made.slot = window()[1].isoformat()
        try:
            yield made
        finally:
            forget_devices(database_url, made.devices)
            await remove_test_rows_async(database_url)


def make_op(rig: Rig, seq: int, kind: Kind, variant: int) -> dict[str, Any]:
    op: dict[str, Any] = {
        "op_id": str(uuid.uuid4()),
        "seq": seq,
        "type": "headcount.add",
        "actor_id": rig.ids["other"] if kind == "other" else rig.ids["operator"],
        "client_time": dt.datetime.now(dt.UTC).isoformat(),
        "payload": {
            "work_session_id": rig.ids["session"],
            "slot_start": rig.slot,
            "category": "issuance_reserved",
            "delta": 1,
        },
    }
    if kind == "poison":
        change = POISON_VALUES[variant]
        op |= {k: v for k, v in change.items() if k != "payload"}
        op["payload"] |= change.get("payload", {})
    return op


def expected(kind: Kind, via: Via) -> str:
    """What the first handling of an op does, by who made it and who delivered it."""
    if kind == "poison" or (kind == "other" and via != "supervisor"):
        return "rejected"
    return "applied"


async def deliver(rig: Rig, device: str, ops: list[dict[str, Any]], via: Via) -> dict[int, str]:
    """Send ``ops``; returns the status answered per seq (pushes only)."""
    body = json.dumps({"device_id": device, "schema_version": 1, "ops": ops})
    await rig.as_(rig.ids["in_charge"] if via == "supervisor" else rig.ids["operator"])
    if via == "push":
        response = await rig.http.post(
            "/api/sync/push", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        for result in answer["results"]:
            if result["status"] == "rejected":
                assert result["code"] and result["message"], result
        return {r["seq"]: r["status"] for r in answer["results"]}
    files = {"file": ("unsent.json", body.encode(), "application/json")}
    page = await rig.http.post(
        "/sync/upload", files=files, data={"csrf_token": rig.http.headers["x-csrf-token"]}
    )
    assert page.status_code == 200, page.text
    return {}


@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=plans())
async def test_every_op_ends_applied_or_kept_for_review(rig: Rig, plan: Plan) -> None:
    """Pushes, uploads by the maker or a supervisor, repeats and gaps lose nothing."""
    clear_session_rows(rig.url, rig.ids["session"])
    await rig.as_(rig.ids["operator"])
    devices: list[str] = []
    outboxes: list[list[dict[str, Any]]] = []
    marks: list[int] = []
    for index, planned in enumerate(plan.outboxes):
        response = await rig.http.post("/api/devices", json={"label": f"property {index}"})
        devices.append(response.json()["device_id"])
        outboxes.append([make_op(rig, i + 1, k, v) for i, (k, v) in enumerate(planned)])
        marks.append(0)
    rig.devices.extend(devices)
    outcome: dict[tuple[int, int], str] = {}
    recovery = [Delivery(d, 0, len(o), "push") for d, o in enumerate(plan.outboxes)]
    for step in (*plan.deliveries, *recovery):
        ops = outboxes[step.device][step.start : step.end]
        answered = await deliver(rig, devices[step.device], ops, step.via)
        mark = marks[step.device]
        for op in ops:
            seq = op["seq"]
            if seq > mark + 1:
                assert seq not in answered, f"answered {answered[seq]} after a gap"
                break
            kind = plan.outboxes[step.device][seq - 1][0]
            if seq == mark + 1:
                want = expected(kind, step.via)
            else:  # received before: a refusal is answered again, never "received"
                want = "rejected" if outcome[(step.device, seq)] == "rejected" else "duplicate"
            if seq == mark + 1:
                outcome[(step.device, seq)] = want
                mark = seq
            if answered:
                assert answered[seq] == want, f"seq {seq} ({kind}, {step.via}): {answered}"
        marks[step.device] = mark
    for index, device in enumerate(devices):
        outbox = outboxes[index]
        stored = {
            str(r[0])
            for r in dbutil.fetch(
                rig.url,
                f"SELECT op_id FROM headcount WHERE work_session = {rig.ids['session']}",
            )
        }
        kept = {
            int(str(seq)): (str(code), str(message))
            for seq, code, message in dbutil.fetch(
                rig.url,
                f"SELECT seq, code, message FROM sync_issue WHERE device_uid = '{device}'",
            )
        }
        for op in outbox:
            seq = op["seq"]
            applied, refused = op["op_id"] in stored, seq in kept
            assert applied != refused, (
                f"device {index} seq {seq}: applied {applied}, kept {refused}"
            )
            assert outcome[(index, seq)] == ("applied" if applied else "rejected")
            if refused:
                assert all(kept[seq]), kept[seq]
        high_water = dbutil.fetch(rig.url, f"SELECT high_water FROM device WHERE uid = '{device}'")
        assert int(str(high_water[0][0])) == len(outbox)
    total = dbutil.fetch(
        rig.url, f"SELECT COUNT(*) FROM headcount WHERE work_session = {rig.ids['session']}"
    )
    assert int(str(total[0][0])) == sum(v == "applied" for v in outcome.values())
