"""Work sessions: the staffing rules through apply_op, and the office pages as each role."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from server.common.errors import OpRejected
from server.settings import Settings
from server.sync import ops
from server.work_sessions import service as work_sessions
from tests import dbutil
from tests.support.field import JST, apply, open_session, plan_session, window
from tests.support.identities import make_staff, sign_in
from tests.support.pages import field_error

BOSS = "overall_manager"


def assign(session: int, staff_id: int, duty: str = "operator") -> ops.WorkSessionAssign:
    """A ``work_session.assign`` op."""
    return ops.WorkSessionAssign(
        payload=ops.AssignStaff(work_session_id=session, staff_id=staff_id, duty=duty)  # type: ignore[arg-type]
    )


def unassign(session: int, staff_id: int) -> ops.WorkSessionUnassign:
    """A ``work_session.unassign`` op."""
    return ops.WorkSessionUnassign(
        payload=ops.UnassignStaff(work_session_id=session, staff_id=staff_id)
    )


def open_op(session: int) -> ops.WorkSessionOpen:
    """A ``work_session.open`` op at the planned start."""
    return ops.WorkSessionOpen(payload=ops.OpenWorkSession(work_session_id=session, at=window()[1]))


def close_op(session: int) -> ops.WorkSessionClose:
    """A ``work_session.close`` op at the planned end."""
    return ops.WorkSessionClose(
        payload=ops.CloseWorkSession(work_session_id=session, at=window()[2])
    )


async def refused(op: ops.Op, staff_id: int, role: str, settings: Settings) -> OpRejected:
    """Apply ``op`` expecting a refusal; return it."""
    with pytest.raises(OpRejected) as caught:
        await apply(op, staff_id, role, settings)
    return caught.value


def count(url: str, sql: str) -> int:
    """The single number ``sql`` selects."""
    return int(dbutil.fetch(url, sql)[0][0])


def session_ids(html: str) -> set[int]:
    """Ids of the work sessions listed in ``html``."""
    return {int(found) for found in re.findall(r'data-session-id="(\d+)"', html)}


@pytest.fixture
async def boss(client: httpx.AsyncClient) -> int:
    """An overall manager (binds the app to this run's database through ``client``)."""
    return await make_staff(BOSS)


# --- rules, through the one write path ---------------------------------------------------


async def test_plan_with_end_before_start_is_refused(
    boss: int, settings: Settings, database_url: str
) -> None:
    """A window ending before (or at) its start is refused on planned_end; nothing stored."""
    day, start, _ = window()
    for end in (start - dt.timedelta(hours=1), start):
        error = await refused(
            ops.WorkSessionPlan(
                payload=ops.PlanWorkSession(
                    site_id=1, work_date=day, planned_start=start, planned_end=end
                )
            ),
            boss,
            BOSS,
            settings,
        )
        assert (error.code, error.field) == ("window_invalid", "planned_end")
    assert count(database_url, "SELECT COUNT(*) FROM work_session") == 0


async def test_deactivated_person_cannot_be_assigned(boss: int, settings: Settings) -> None:
    """Assigning a deactivated person is refused (staff_inactive); an active one is not."""
    session = await plan_session(settings, site_id=1, manager_id=boss)
    gone = await make_staff("operator", active=False)
    error = await refused(assign(session, gone), boss, BOSS, settings)
    assert (error.code, error.field) == ("staff_inactive", "staff_id")
    await apply(assign(session, await make_staff("operator")), boss, BOSS, settings)
    loaded = await work_sessions.get(session)
    assert loaded is not None and [a.staff_id for a in loaded.staff] != [gone]
    assert len(loaded.staff) == 1


async def test_nobody_works_two_overlapping_sessions(boss: int, settings: Settings) -> None:
    """Someone in a 10–16 session cannot join a 14–18 one elsewhere, but can join 16–18."""
    morning = await plan_session(settings, site_id=1, manager_id=boss, start_hour=10, hours=6)
    overlapping = await plan_session(settings, site_id=2, manager_id=boss, start_hour=14, hours=4)
    after = await plan_session(settings, site_id=3, manager_id=boss, start_hour=16, hours=2)
    person = await make_staff("operator")
    await apply(assign(morning, person), boss, BOSS, settings)
    error = await refused(assign(overlapping, person), boss, BOSS, settings)
    assert (error.code, error.field) == ("overlap", "staff_id")
    await apply(assign(after, person), boss, BOSS, settings)
    assert [s.id for s in await work_sessions.search(staff_id=person)] == [morning, after]


async def test_exactly_one_in_charge_who_is_a_manager(boss: int, settings: Settings) -> None:
    """In charge: only a business manager or deputy, and only one per session."""
    session = await plan_session(settings, site_id=1, manager_id=boss)
    for role, code in (
        ("operator", "not_a_manager"),
        ("overall_manager", "not_a_manager"),
        ("city_staff", "not_contractor"),
    ):
        error = await refused(
            assign(session, await make_staff(role), "in_charge"), boss, BOSS, settings
        )
        assert (error.code, error.field) == (code, "staff_id"), role
    business = await make_staff("business_manager")
    await apply(assign(session, business, "in_charge"), boss, BOSS, settings)
    deputy = await make_staff("deputy_manager")
    error = await refused(assign(session, deputy, "in_charge"), boss, BOSS, settings)
    assert (error.code, error.field) == ("in_charge_taken", "duty")
    other = await plan_session(settings, site_id=2, manager_id=boss, day=dt.date(2030, 1, 7))
    await apply(assign(other, deputy, "in_charge"), boss, BOSS, settings)
    loaded = await work_sessions.get(session)
    assert loaded is not None and loaded.in_charge is not None
    assert [a.staff_id for a in loaded.staff if a.duty == "in_charge"] == [business]


async def test_cannot_open_without_in_charge(boss: int, settings: Settings) -> None:
    """A session staffed only by operators cannot open; with a person in charge it can."""
    session = await plan_session(settings, site_id=1, manager_id=boss)
    operator = await make_staff("operator")
    await apply(assign(session, operator), boss, BOSS, settings)
    error = await refused(open_op(session), operator, "operator", settings)
    assert error.code == "in_charge_required"
    loaded = await work_sessions.get(session)
    assert loaded is not None and loaded.status == "planned" and loaded.actual_start is None
    await apply(
        assign(session, await make_staff("deputy_manager"), "in_charge"), boss, BOSS, settings
    )
    await apply(open_op(session), operator, "operator", settings)
    loaded = await work_sessions.get(session)
    assert loaded is not None and loaded.status == "open"


async def test_in_charge_of_an_open_session_cannot_be_unassigned(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Removing the person in charge of an open session is refused; removing an operator works."""
    ids = await open_session(settings, site_id=1)
    error = await refused(
        unassign(ids["session"], ids["in_charge"]), ids["manager"], BOSS, settings
    )
    assert (error.code, error.field) == ("in_charge_required", "staff_id")
    await apply(unassign(ids["session"], ids["operator"]), ids["manager"], BOSS, settings)
    loaded = await work_sessions.get(ids["session"])
    assert loaded is not None
    assert [(a.staff_id, a.duty) for a in loaded.staff] == [(ids["in_charge"], "in_charge")]


async def test_only_an_open_session_closes(boss: int, settings: Settings) -> None:
    """Closing a planned session is refused (not_open); an open one closes, and only once."""
    session = await plan_session(settings, site_id=1, manager_id=boss)
    in_charge = await make_staff("business_manager")
    await apply(assign(session, in_charge, "in_charge"), boss, BOSS, settings)
    error = await refused(close_op(session), in_charge, "business_manager", settings)
    assert error.code == "not_open"
    await apply(open_op(session), in_charge, "business_manager", settings)
    await apply(close_op(session), in_charge, "business_manager", settings)
    loaded = await work_sessions.get(session)
    assert loaded is not None and loaded.status == "closed"
    again = await refused(close_op(session), in_charge, "business_manager", settings)
    assert again.code == "session_closed"


async def test_closed_session_refuses_edits(client: httpx.AsyncClient, settings: Settings) -> None:
    """After closing, assign, unassign and update are refused and the version stays."""
    ids = await open_session(settings, site_id=1)
    await apply(close_op(ids["session"]), ids["operator"], "operator", settings)
    closed = await work_sessions.get(ids["session"])
    assert closed is not None and closed.status == "closed"
    update = ops.WorkSessionUpdate(
        payload=ops.UpdateWorkSession(work_session_id=ids["session"], notes="later note")
    )
    for op in (
        assign(ids["session"], await make_staff("operator")),
        unassign(ids["session"], ids["operator"]),
        update,
    ):
        error = await refused(op, ids["manager"], BOSS, settings)
        assert error.code == "session_closed", op
    after = await work_sessions.get(ids["session"])
    assert after is not None
    assert (after.version, after.notes, len(after.staff)) == (closed.version, "", 2)


# --- pages, as each role ------------------------------------------------------------------


async def test_manager_plans_and_staffs_a_session(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A business manager plans 09:00–17:00 JST, assigns two people, then removes one."""
    manager = await make_staff("business_manager")
    deputy = await make_staff("deputy_manager")
    operator = await make_staff("operator")
    await sign_in(client, manager, settings)
    page = await client.get("/work-sessions")
    assert page.status_code == 200
    assert 'action="/work-sessions"' in page.text and "data-free-text" in page.text

    planned = await client.post(
        "/work-sessions",
        data={
            "site_id": "2",
            "work_date": "2030-04-01",
            "planned_start": "09:00",
            "planned_end": "17:00",
            "notes": "搬入は8時半",
        },
    )
    assert planned.status_code == 303
    session_id = int(planned.headers["location"].rsplit("/", 1)[-1])
    session = await work_sessions.get(session_id)
    assert session is not None
    assert session.planned_start == dt.datetime(2030, 4, 1, 9, tzinfo=JST)
    assert session.planned_end == dt.datetime(2030, 4, 1, 17, tzinfo=JST)
    assert (session.site_id, session.status, session.notes) == (2, "planned", "搬入は8時半")

    detail = await client.get(f"/work-sessions/{session_id}")
    assert detail.status_code == 200
    assert "09:00–17:00" in detail.text
    assert f'<option value="{operator}"' in detail.text
    for staff_id, duty in ((deputy, "in_charge"), (operator, "operator")):
        added = await client.post(
            f"/work-sessions/{session_id}/staff", data={"staff_id": str(staff_id), "duty": duty}
        )
        assert added.status_code == 303, added.text[-2000:]
    listed = await client.get("/work-sessions?date_from=2030-04-01&date_to=2030-04-01")
    row = re.search(rf'data-session-id="{session_id}".*?</tr>', listed.text, re.S)
    assert row, listed.text[-3000:]
    assert "Test deputy_manager" in row.group(0)
    assert 'data-testid="staff-count">2<' in row.group(0)
    assert "予定" in row.group(0)

    removed = await client.post(f"/work-sessions/{session_id}/staff/{operator}/remove")
    assert removed.status_code == 303
    staffed = dbutil.fetch(
        database_url,
        f"SELECT staff, duty FROM work_session_staff WHERE work_session = {session_id}",
    )
    assert staffed == [(deputy, "in_charge")]


@pytest.mark.parametrize("role", ["operator", "city_staff"])
async def test_non_planners_read_but_cannot_plan_or_staff(
    client: httpx.AsyncClient, settings: Settings, database_url: str, role: str
) -> None:
    """Operators and city staff see the pages without forms; their writes get 403."""
    boss = await make_staff(BOSS)
    session = await plan_session(settings, site_id=1, manager_id=boss)
    await apply(assign(session, await make_staff("operator")), boss, BOSS, settings)
    await sign_in(client, await make_staff(role), settings)
    listing = await client.get("/work-sessions")
    assert listing.status_code == 200 and session in session_ids(listing.text)
    assert 'data-testid="plan-form"' not in listing.text
    detail = await client.get(f"/work-sessions/{session}")
    assert detail.status_code == 200
    assert 'data-testid="assign-form"' not in detail.text and "/remove" not in detail.text

    before = dbutil.fetch(database_url, "SELECT id, version FROM work_session ORDER BY id")
    staffed = count(database_url, "SELECT COUNT(*) FROM work_session_staff")
    writes = [
        (
            "/work-sessions",
            {
                "site_id": "1",
                "work_date": "2030-04-01",
                "planned_start": "09:00",
                "planned_end": "12:00",
            },
        ),
        (f"/work-sessions/{session}/staff", {"staff_id": str(boss), "duty": "operator"}),
        (f"/work-sessions/{session}/staff/{boss}/remove", {}),
    ]
    for path, data in writes:
        response = await client.post(path, data=data)
        assert response.status_code == 403, path
    assert dbutil.fetch(database_url, "SELECT id, version FROM work_session ORDER BY id") == before
    assert count(database_url, "SELECT COUNT(*) FROM work_session_staff") == staffed


async def test_plan_form_errors_in_japanese_leave_the_database_unchanged(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """End before start, a bad time and a My Number in notes: 422, Japanese message by the field."""
    await sign_in(client, await make_staff("deputy_manager"), settings)
    base = {"site_id": "1", "work_date": "2030-04-01", "planned_start": "17:00"}
    backwards = await client.post("/work-sessions", data={**base, "planned_end": "09:00"})
    assert backwards.status_code == 422
    assert field_error(backwards.text, "planned_end") == "終了時刻は開始時刻より後にしてください。"
    assert 'value="17:00"' in backwards.text and 'value="09:00"' in backwards.text

    garbled = await client.post("/work-sessions", data={**base, "planned_end": "5pm"})
    assert garbled.status_code == 422
    assert (
        field_error(garbled.text, "planned_end")
        == "時刻は「時:分」（例 09:30）で入力してください。"
    )

    mine = await client.post(
        "/work-sessions", data={**base, "planned_end": "18:00", "notes": "番号 123456789018"}
    )
    assert mine.status_code == 422
    assert "個人番号（マイナンバー）と思われる" in field_error(mine.text, "notes")
    assert count(database_url, "SELECT COUNT(*) FROM work_session") == 0


async def test_staffing_rule_shows_the_service_message(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """An operator put in charge: the form says why (page 422, htmx panel 200); nothing stored."""
    boss = await make_staff(BOSS)
    session = await plan_session(settings, site_id=1, manager_id=boss)
    operator = await make_staff("operator")
    await sign_in(client, await make_staff("business_manager"), settings)
    message = "責任者は業務責任者または副責任者でなければなりません。"
    body = {"staff_id": str(operator), "duty": "in_charge"}

    plain = await client.post(f"/work-sessions/{session}/staff", data=body)
    assert plain.status_code == 422
    assert field_error(plain.text, "staff_id") == message
    assert "<html" in plain.text

    htmx = await client.post(
        f"/work-sessions/{session}/staff",
        data=body,
        headers={"HX-Request": "true", "HX-Target": "ws-staff"},
    )
    assert htmx.status_code == 200
    assert "<html" not in htmx.text and htmx.text.lstrip().startswith('<section id="ws-staff"')
    assert field_error(htmx.text, "staff_id") == message
    assert "HX-Request" in htmx.headers["vary"]
    assert count(database_url, "SELECT COUNT(*) FROM work_session_staff") == 0

    ok = await client.post(
        f"/work-sessions/{session}/staff",
        data={"staff_id": str(operator), "duty": "operator"},
        headers={"HX-Request": "true", "HX-Target": "ws-staff"},
    )
    assert ok.status_code == 200 and f'data-staff-id="{operator}"' in ok.text
    assert count(database_url, "SELECT COUNT(*) FROM work_session_staff") == 1


async def test_filters_narrow_the_list(client: httpx.AsyncClient, settings: Settings) -> None:
    """Site, date range and status filters; by default sessions from a week ago on."""
    boss = await make_staff(BOSS)
    today = dt.datetime.now(JST).date()
    here = await plan_session(settings, site_id=1, manager_id=boss)
    there = await plan_session(settings, site_id=2, manager_id=boss)
    old = await plan_session(
        settings, site_id=1, manager_id=boss, day=today - dt.timedelta(days=10)
    )
    week_ago = await plan_session(
        settings, site_id=3, manager_id=boss, day=today - dt.timedelta(days=7)
    )
    opened = await open_session(settings, site_id=4)
    await sign_in(client, await make_staff("city_staff"), settings)

    async def listed(query: str) -> set[int]:
        response = await client.get(f"/work-sessions{query}")
        assert response.status_code == 200
        return session_ids(response.text)

    assert await listed("") == {here, there, week_ago, opened["session"]}
    assert await listed("?site_id=1") == {here}
    assert await listed("?site_id=1&date_from=") == {here, old}
    old_day = (today - dt.timedelta(days=10)).isoformat()
    assert await listed(f"?date_from={old_day}&date_to={old_day}") == {old}
    assert await listed("?status=open") == {opened["session"]}
    assert await listed("?status=planned&site_id=2") == {there}
    assert await listed("?status=closed") == set()


async def test_htmx_filter_answers_a_fragment_that_varies(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """With HX-Request the list answers only its results; both answers vary on HX-Request."""
    boss = await make_staff(BOSS)
    session = await plan_session(settings, site_id=1, manager_id=boss)
    await sign_in(client, boss, settings)
    full = await client.get("/work-sessions?site_id=1")
    fragment = await client.get(
        "/work-sessions?site_id=1", headers={"HX-Request": "true", "HX-Target": "ws-results"}
    )
    assert full.status_code == fragment.status_code == 200
    assert "<html" in full.text and 'id="ws-results"' in full.text
    assert "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="ws-results"')
    assert session_ids(fragment.text) == {session}
    for response in (full, fragment):
        assert "HX-Request" in response.headers["vary"]
        assert "Accept-Language" in response.headers["vary"]
    restore = await client.get(
        "/work-sessions?site_id=1",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.text  # history restore wants the whole page


async def test_unknown_work_session_is_404(client: httpx.AsyncClient, settings: Settings) -> None:
    """A work session that does not exist answers 404."""
    await sign_in(client, await make_staff("city_staff"), settings)
    response = await client.get("/work-sessions/999999")
    assert response.status_code == 404


async def test_times_stored_without_an_offset_read_as_utc(
    boss: int, settings: Settings, database_url: str
) -> None:
    """A session's times read back as the instants stored, timezone-aware, whether the
    store kept an offset or not (SQLite's text without one is UTC, as Piccolo reads it)."""
    session = await plan_session(settings, site_id=1, manager_id=boss)
    naive = (
        "'2026-12-01 01:00:00'"
        if not dbutil.is_postgres(database_url)
        else "'2026-12-01 01:00:00+00'"
    )
    dbutil.execute(
        database_url,
        f"UPDATE work_session SET actual_start = {naive}, "
        f"planned_end = '2026-12-01 07:00:00+00:00' WHERE id = {session}",
    )
    found = await work_sessions.get(session)
    assert found is not None
    assert found.actual_start == dt.datetime(2026, 12, 1, 1, tzinfo=dt.UTC)
    assert found.planned_end == dt.datetime(2026, 12, 1, 7, tzinfo=dt.UTC)
    assert found.planned_start.tzinfo is not None
