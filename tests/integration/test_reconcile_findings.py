"""Every open problem of a day from one service (issue 20, part A): one of each kind
planted across two sites through real ops, pushes and forms, found exactly once by
``find`` and exactly once by the real ``madoguchi reconcile`` command, at the right site.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from typing import Any, get_args

import httpx

from server.journal.ops import JournalSubmit, SubmitJournal
from server.ops.apply import apply_op
from server.ops.context import Actor
from server.reconciliation import findings
from server.reconciliation.schemas import FindingKind
from server.reconciliation.service import digest
from server.settings import Settings
from server.sites import service as sites
from server.sync import ops
from tests import dbutil
from tests.support.field import (
    JST,
    apply,
    count_at,
    file_incident,
    open_session,
    plan_session,
    staffed_session,
)
from tests.support.harness import run_cli
from tests.support.identities import make_staff, sign_in
from tests.support.sync_api import device, incident_create, op, outcomes, push

# A day of its own, days back: the sessions left open on it are late, its slots long past.
DAY = dt.datetime.now(JST).date() - dt.timedelta(days=5)
AT_VENUE = {
    "device_silent",
    "sync_rejected",
    "session_open_late",
    "session_never_opened",
    "apps_over_visitors",
    "no_counts",
    "device_outlier",
    "incident_overdue",
    "incident_no_prevention",
    "journal_not_submitted",
}
AT_CITY_HALL = {
    "device_mismatch",
    "sync_conflict",
    "session_understaffed",
    "count_outside_window",
    "journal_changed",
}
BLOCKING = {"session_open_late", "sync_conflict", "device_mismatch"}


def at(hour: int, minute: int = 0) -> dt.datetime:
    """A moment of :data:`DAY`, JST."""
    return dt.datetime.combine(DAY, dt.time(hour, minute), JST)


def tap(seq: int, session: int, slot: dt.datetime, category: str, delta: int) -> dict[str, Any]:
    """A count a tablet made on :data:`DAY`."""
    payload = {
        "work_session_id": session,
        "slot_start": slot.isoformat(),
        "category": category,
        "delta": delta,
    }
    return op(seq, "headcount.add", payload, client_time=at(12).isoformat())


async def _venue(settings: Settings) -> int:
    manager = await make_staff("overall_manager")
    payload = ops.AddVenue(name_ja=f"照合会場 {uuid.uuid4().hex[:8]}", venue_kind="other")
    applied = await apply(ops.SiteAddVenue(payload=payload), manager, "overall_manager", settings)
    return int(applied.entity_id or 0)


async def _plant_at_venue(client: httpx.AsyncClient, settings: Settings, venue: int) -> None:
    """A session left open with counts from three tablets (one far above the others, one
    gone silent), more applications than visitors in a slot, a refused count, a session
    never opened, a serious incident neither reported nor prevented, and no journal."""
    ids = await open_session(settings, site_id=venue, day=DAY)
    session = ids["session"]
    await sign_in(client, ids["operator"], settings)
    quiet, steady, busy, wrong = [await device(client, f"会場 {n}号機") for n in range(1, 5)]
    await push(client, quiet, [tap(1, session, at(10), "visitors", 30)])
    await push(
        client,
        steady,
        [
            tap(1, session, at(10), "visitors", 30),
            tap(2, session, at(11), "visitors", 1),
            tap(3, session, at(11), "applications_mail", 3),
        ],
    )
    await push(client, busy, [tap(1, session, at(10, 30), "visitors", 100)])
    refused = await push(client, wrong, [tap(1, session, at(10), "no_such_code", 1)])
    assert [status for status, _ in outcomes(refused)] == ["rejected"]
    # Its last push two hours ago: the server's clock is not a tablet's to set.
    gone = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat(sep=" ")
    dbutil.execute(
        settings.database.url, f"UPDATE device SET last_seen_at = '{gone}' WHERE uid = '{quiet}'"
    )
    await staffed_session(settings, site_id=venue, day=DAY, start_hour=13)
    await file_incident(
        settings,
        ids,
        category="accident_injury",
        severity="high",
        description="来場者が段差でつまずいた。",
        at=at(12),
        site_id=venue,
    )


async def _plant_at_city_hall(client: httpx.AsyncClient, settings: Settings) -> None:
    """A tablet that says it made one change more than arrived, a count left outside its
    session's shortened hours, a journal changed after submission, a session worked by
    one person, and two tablets' edits of one incident in conflict."""
    ids = await open_session(settings, site_id=1, day=DAY)
    session = ids["session"]
    await sign_in(client, ids["operator"], settings)
    tablet = await device(client, "本庁舎 1号機")
    made = [tap(n, session, at(10), "issuance_reserved", 1) for n in (1, 2, 3)]
    await push(client, tablet, made[:2])  # the third never arrives
    report = {"day": DAY.isoformat(), "op_count": 3, "digest": digest([m["op_id"] for m in made])}
    stored = await client.post("/api/sync/report", json={"device_id": tablet, "reports": [report]})
    assert stored.json() == {"stored": 1}
    await count_at(settings, ids, at(15, 30), "pin_reset", 1)
    submit = JournalSubmit(payload=SubmitJournal(site_id=1, day=DAY, base_version=0))
    lead = Actor(staff_id=ids["in_charge"], role="business_manager")
    await apply_op(submit, lead, settings.field)
    await count_at(settings, ids, at(10), "issuance_reserved", 1)  # after submission
    shorter = ops.UpdateWorkSession(work_session_id=session, planned_end=at(12))
    await apply(ops.WorkSessionUpdate(payload=shorter), ids["manager"], "overall_manager", settings)
    close = ops.CloseWorkSession(work_session_id=session, at=at(12))
    await apply(ops.WorkSessionClose(payload=close), ids["in_charge"], "business_manager", settings)
    alone = await plan_session(
        settings, site_id=1, manager_id=ids["manager"], day=DAY, start_hour=13, hours=2
    )
    assign = ops.AssignStaff(work_session_id=alone, staff_id=ids["in_charge"], duty="in_charge")
    await apply(ops.WorkSessionAssign(payload=assign), ids["manager"], "overall_manager", settings)
    opened = ops.OpenWorkSession(work_session_id=alone, at=at(13))
    await apply(ops.WorkSessionOpen(payload=opened), ids["in_charge"], "business_manager", settings)
    closed = ops.CloseWorkSession(work_session_id=alone, at=at(14))
    await apply(
        ops.WorkSessionClose(payload=closed), ids["in_charge"], "business_manager", settings
    )
    uid = str(uuid.uuid4())
    first, second = await device(client, "本庁舎 2号機"), await device(client, "本庁舎 3号機")
    made_at = at(12).isoformat()
    await push(client, first, [incident_create(1, uid, occurred_at=made_at)])
    edit = {"uid": uid, "immediate_action": "窓口で説明した。"}
    await push(client, first, [op(2, "incident.update", edit, base_version=1)])
    other = {"uid": uid, "immediate_action": "上席が対応した。"}
    answer = await push(client, second, [op(1, "incident.update", other, base_version=1)])
    assert [status for status, _ in outcomes(answer)] == ["conflict"]


async def test_one_of_each_problem_is_found_once_by_find_and_by_the_command(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Fifteen kinds planted at two sites: each found once, at its site, by ``find`` and
    by ``madoguchi reconcile --json`` (exit 3), the default three blocking sign-off."""
    venue = await _venue(settings)
    await _plant_at_venue(client, settings, venue)
    await _plant_at_city_hall(client, settings)
    venue_code = (await sites.get_site(venue)).code  # type: ignore[union-attr]
    city_hall = (await sites.get_site(1)).code  # type: ignore[union-attr]
    assert set(get_args(FindingKind)) == AT_VENUE | AT_CITY_HALL

    found = await findings.find(DAY, None, settings.field, dt.datetime.now(dt.UTC))
    by_kind = Counter(f.kind for f in found)
    assert by_kind == Counter(get_args(FindingKind)), by_kind
    assert {f.kind for f in found if f.site_id == venue} == AT_VENUE
    assert {f.kind for f in found if f.site_id == 1} == AT_CITY_HALL
    assert {f.kind for f in found if f.blocking} == BLOCKING
    assert len({(f.kind, f.key) for f in found}) == len(found)

    result = run_cli("reconcile", "--date", DAY.isoformat(), "--json")
    assert result.returncode == 3, result.stderr
    shape = json.loads(result.stdout)
    assert (shape["date"], shape["site"], shape["open"], shape["blocking"]) == (
        DAY.isoformat(),
        None,
        15,
        3,
    )
    listed = {(f["kind"], f["site"]) for f in shape["findings"]}
    assert len(shape["findings"]) == len(listed) == 15
    assert listed == {(k, venue_code) for k in AT_VENUE} | {(k, city_hall) for k in AT_CITY_HALL}
    assert [(f["kind"], f["key"]) for f in shape["findings"]] == [(f.kind, f.key) for f in found]
    mismatch = next(f for f in shape["findings"] if f["kind"] == "device_mismatch")
    assert "端末の記録 3 件、サーバーの受信 2 件" in mismatch["message_ja"]
    assert mismatch["params"]["device_count"] == 3 and mismatch["blocking"] is True

    one_site = run_cli("reconcile", "--date", DAY.isoformat(), "--site", venue_code)
    assert one_site.returncode == 3
    assert "未解決 10 件（うち締めを妨げるもの 1 件）" in one_site.stdout
    assert "業務日誌が提出されていません" in one_site.stdout
    assert "受付不可" not in one_site.stdout and "本庁舎" not in one_site.stdout


async def test_a_clean_day_exits_0_and_bad_arguments_exit_2(client: httpx.AsyncClient) -> None:
    """Nothing open: exit 0 and an empty list; a date that is none or an unknown site: 2."""
    quiet = (DAY - dt.timedelta(days=30)).isoformat()
    clean = run_cli("reconcile", "--date", quiet, "--json")
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout) == {
        "date": quiet,
        "site": None,
        "open": 0,
        "blocking": 0,
        "findings": [],
    }
    assert (
        run_cli("reconcile", "--date", quiet).stdout.strip().endswith("未解決の問題はありません。")
    )
    assert run_cli("reconcile", "--date", "2026-02-30").returncode == 2
    assert run_cli("reconcile").returncode == 2
    unknown = run_cli("reconcile", "--date", quiet, "--site", "no_such_site")
    assert unknown.returncode == 2 and "no_such_site" in unknown.stderr
