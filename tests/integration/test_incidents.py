"""Incidents: the service's rules through the one write path, and the pages by role."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest

from server.common.errors import OpRejected
from server.incidents import service as incidents
from server.incidents.schemas import IncidentOut
from server.settings import Settings
from server.sites import service as sites
from server.sync import ops
from tests.support.field import JST, apply, new_uid, open_session
from tests.support.identities import make_staff, sign_in

SITE = 1  # 本庁舎 市民課 (a fixed site)
OTHER_SITE = 3  # アクタ西宮ステーション
# The server's clock, pinned: 2025-06-02 12:00 JST.
NOW = dt.datetime(2025, 6, 2, 12, 0, tzinfo=JST)
MY_NUMBER = "お客様番号 1234 5678 9018"
MY_NUMBER_WIDE = "お客様番号 １２３４ ５６７８ ９０１８"
MY_NUMBER_JA = "個人番号（マイナンバー）と思われる12桁の番号が含まれているため"


def create(uid: str | None = None, **fields: Any) -> ops.IncidentCreate:
    """An ``incident.create`` op; ``fields`` override a plausible low-severity complaint."""
    payload: dict[str, Any] = {
        "uid": uid or new_uid(),
        "site_id": SITE,
        "category": "complaint",
        "severity": "low",
        "occurred_at": NOW - dt.timedelta(minutes=10),
        "description": "待ち時間が長いとのご意見",
        **fields,
    }
    return ops.IncidentCreate(payload=ops.CreateIncident(**payload))


def update(uid: str, base_version: int | None = None, **fields: Any) -> ops.IncidentUpdate:
    """An ``incident.update`` op changing ``fields`` from ``base_version``."""
    return ops.IncidentUpdate(
        base_version=base_version, payload=ops.UpdateIncident(uid=uid, **fields)
    )


class Desk:
    """An operator filing and editing incidents through ``apply_op`` with the clock pinned."""

    def __init__(self, staff_id: int, settings: Settings) -> None:
        self.staff_id = staff_id
        self.settings = settings

    async def run(self, op: ops.Op, now: dt.datetime = NOW) -> Any:
        """Apply ``op`` as the operator at ``now``."""
        return await apply(op, self.staff_id, "operator", self.settings, now=now)

    async def file(self, **fields: Any) -> str:
        """File an incident; returns its uid."""
        applied = await self.run(create(**fields))
        return str(applied.entity_id)

    async def get(self, uid: str, now: dt.datetime = NOW) -> IncidentOut:
        """The incident as pages see it at ``now``."""
        found = await incidents.get(
            uid, now=now, report_minutes=self.settings.field.incident_report_minutes
        )
        assert found is not None
        return found


@pytest.fixture
async def desk(client: httpx.AsyncClient, settings: Settings) -> Desk:
    """An operator at the desk (the client fixture starts the app and cleans up)."""
    return Desk(await make_staff("operator"), settings)


async def refused(desk: Desk, op: ops.Op, now: dt.datetime = NOW) -> OpRejected:
    """The refusal ``op`` gets."""
    with pytest.raises(OpRejected) as caught:
        await desk.run(op, now)
    return caught.value


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """Compare times across engines (aware UTC)."""
    return None if value is None else value.astimezone(dt.UTC)


# --- Service rules, through apply_op -----------------------------------------------------


@pytest.mark.parametrize("severity", ["high", "critical"])
async def test_serious_incident_needs_recurrence_prevention_to_close(
    desk: Desk, severity: str
) -> None:
    """High and critical incidents close only once recurrence prevention is written."""
    uid = await desk.file(severity=severity)
    refusal = await refused(desk, update(uid, status="closed"))
    assert (refusal.code, refusal.field) == ("prevention_required", "recurrence_prevention")
    assert (await desk.get(uid)).status == "open"
    blank = await refused(desk, update(uid, recurrence_prevention="   ", status="closed"))
    assert blank.code == "prevention_required"
    await desk.run(update(uid, recurrence_prevention="受付時に二名で確認する", status="closed"))
    assert (await desk.get(uid)).status == "closed"


async def test_low_incident_closes_without_recurrence_prevention(desk: Desk) -> None:
    """A low-severity incident may close with no recurrence prevention."""
    uid = await desk.file(severity="low")
    applied = await desk.run(update(uid, status="closed"))
    closed = await desk.get(uid)
    assert (closed.status, closed.recurrence_prevention, applied.version) == ("closed", "", 2)


async def test_status_cannot_go_backwards(desk: Desk) -> None:
    """Once resolved, an incident cannot go back to reported or open."""
    uid = await desk.file()
    await desk.run(update(uid, status="resolved"))
    for earlier in ("reported", "open"):
        refusal = await refused(desk, update(uid, status=earlier))
        assert (refusal.code, refusal.field) == ("status_backwards", "status")
    assert (await desk.get(uid)).status == "resolved"


async def test_reporting_sets_reported_time_when_missing(desk: Desk) -> None:
    """Moving to reported stamps reported_to_city_at with the server's time unless given."""
    stamped = await desk.file(severity="high")
    later = NOW + dt.timedelta(minutes=20)
    await desk.run(update(stamped, status="reported"), now=later)
    assert as_utc((await desk.get(stamped)).reported_to_city_at) == as_utc(later)

    given = await desk.file(severity="high")
    told = NOW - dt.timedelta(minutes=3)
    await desk.run(update(given, status="reported", reported_to_city_at=told), now=later)
    assert as_utc((await desk.get(given)).reported_to_city_at) == as_utc(told)


async def overdue_by_uid(desk: Desk, now: dt.datetime) -> dict[str, bool]:
    """The overdue flag of every incident the list shows at ``now``."""
    found = await incidents.search(
        now=now, report_minutes=desk.settings.field.incident_report_minutes, site_id=SITE
    )
    return {incident.uid: incident.overdue for incident in found}


async def test_overdue_flag_for_unreported_serious_incidents(desk: Desk) -> None:
    """Unreported high/critical incidents go overdue after the deadline; low or reported don't."""
    minutes = desk.settings.field.incident_report_minutes
    occurred = NOW - dt.timedelta(minutes=1)
    high = await desk.file(severity="high", occurred_at=occurred)
    critical = await desk.file(severity="critical", occurred_at=occurred)
    low = await desk.file(severity="low", occurred_at=occurred)
    reported = await desk.file(severity="critical", occurred_at=occurred)
    await desk.run(update(reported, status="reported"))

    before = await overdue_by_uid(desk, occurred + dt.timedelta(minutes=minutes - 1))
    assert before == {high: False, critical: False, low: False, reported: False}
    after = await overdue_by_uid(desk, occurred + dt.timedelta(minutes=minutes + 1))
    assert after == {high: True, critical: True, low: False, reported: False}

    await desk.run(update(high, reported_to_city_at=NOW), now=NOW + dt.timedelta(hours=2))
    assert (await overdue_by_uid(desk, NOW + dt.timedelta(hours=3)))[high] is False


async def test_every_edit_is_kept_with_old_and_new_values(desk: Desk, settings: Settings) -> None:
    """History lists the filing and each edit: version, who, when, field: [old, new]."""
    uid = await desk.file(severity="medium")
    other = Desk(await make_staff("deputy_manager"), settings)
    later = NOW + dt.timedelta(minutes=5)
    await desk.run(update(uid, severity="high", immediate_action="上長に連絡"), now=later)
    await other.run(update(uid, description="待ち時間について強いご意見"), now=later)
    history = await incidents.history(uid)
    assert [r.version for r in history] == [1, 2, 3]
    assert history[0].changes["severity"] == [None, "medium"]
    assert history[0].changes["status"] == [None, "open"]
    assert history[1].changes == {
        "severity": ["medium", "high"],
        "immediate_action": ["", "上長に連絡"],
    }
    assert history[1].actor_id == desk.staff_id
    assert as_utc(history[1].at) == as_utc(later)
    assert history[2].changes == {
        "description": ["待ち時間が長いとのご意見", "待ち時間について強いご意見"]
    }
    assert history[2].actor_id == other.staff_id
    assert (await desk.get(uid)).version == 3


async def test_unchanged_values_make_no_new_version(desk: Desk) -> None:
    """An update that changes nothing adds no version and no history entry."""
    uid = await desk.file()
    applied = await desk.run(update(uid, base_version=1, severity="low"))
    assert applied.version == 1
    assert len(await incidents.history(uid)) == 1


async def test_closed_incident_refuses_edits(desk: Desk) -> None:
    """After closing, any edit is refused and nothing changes."""
    uid = await desk.file()
    await desk.run(update(uid, status="closed"))
    refusal = await refused(desk, update(uid, description="後から追記"))
    assert refusal.code == "incident_closed"
    closed = await desk.get(uid)
    assert (closed.description, closed.version) == ("待ち時間が長いとのご意見", 2)


async def test_same_field_from_same_base_is_a_conflict(desk: Desk) -> None:
    """Two edits of the same field from one base version: the second is refused as a conflict."""
    uid = await desk.file()
    await desk.run(update(uid, base_version=1, severity="high"))
    refusal = await refused(desk, update(uid, base_version=1, severity="medium"))
    assert (refusal.code, refusal.field) == ("conflict", "severity")
    current = await desk.get(uid)
    assert (current.severity, current.version) == ("high", 2)


async def test_different_fields_from_same_base_are_both_kept(desk: Desk) -> None:
    """Two edits of different fields from one base version both land."""
    uid = await desk.file()
    await desk.run(update(uid, base_version=1, severity="high"))
    await desk.run(update(uid, base_version=1, immediate_action="別室へご案内"))
    current = await desk.get(uid)
    assert (current.severity, current.immediate_action, current.version) == (
        "high",
        "別室へご案内",
        3,
    )


@pytest.mark.parametrize("text", [MY_NUMBER, MY_NUMBER_WIDE], ids=["ascii", "full-width"])
@pytest.mark.parametrize("field", ["description", "immediate_action"])
async def test_my_number_is_refused_on_filing(desk: Desk, text: str, field: str) -> None:
    """A My Number in any free text refuses the filing (code my_number) and stores nothing."""
    uid = new_uid()
    refusal = await refused(desk, create(uid, **{field: text}))
    assert (refusal.code, refusal.field) == ("my_number", field)
    assert "1234" not in str(refusal)
    assert await incidents.get(uid, now=NOW, report_minutes=60) is None
    assert await incidents.history(uid) == []


@pytest.mark.parametrize("text", [MY_NUMBER, MY_NUMBER_WIDE], ids=["ascii", "full-width"])
async def test_my_number_is_refused_on_edit(desk: Desk, text: str) -> None:
    """A My Number in recurrence prevention refuses the edit and keeps the old version."""
    uid = await desk.file()
    refusal = await refused(desk, update(uid, recurrence_prevention=text))
    assert (refusal.code, refusal.field) == ("my_number", "recurrence_prevention")
    current = await desk.get(uid)
    assert (current.recurrence_prevention, current.version) == ("", 1)
    assert len(await incidents.history(uid)) == 1


@pytest.mark.parametrize("field", ["description", "immediate_action"])
async def test_oversized_text_is_refused_naming_the_field(desk: Desk, field: str) -> None:
    """Text over 4000 characters is refused (too_long) naming the field; 4000 is accepted."""
    uid = new_uid()
    refusal = await refused(desk, create(uid, **{field: "あ" * 4001}))
    assert (refusal.code, refusal.field) == ("too_long", field)
    assert await incidents.history(uid) == []
    accepted = await desk.file(**{field: "あ" * 4000})
    assert len(getattr(await desk.get(accepted), field)) == 4000


@pytest.mark.parametrize("blank", ["", "   \n "])
async def test_missing_description_is_refused(desk: Desk, blank: str) -> None:
    """A filing or an edit with no description is refused naming the description."""
    uid = new_uid()
    refusal = await refused(desk, create(uid, description=blank))
    assert (refusal.code, refusal.field) == ("required", "description")
    assert await incidents.history(uid) == []
    filed = await desk.file()
    refusal = await refused(desk, update(filed, description=blank))
    assert (refusal.code, refusal.field) == ("required", "description")


async def test_future_occurrence_is_refused(desk: Desk) -> None:
    """An incident cannot be filed as occurring later than now (a few minutes' clock skew aside)."""
    uid = new_uid()
    refusal = await refused(desk, create(uid, occurred_at=NOW + dt.timedelta(hours=1)))
    assert (refusal.code, refusal.field) == ("in_future", "occurred_at")
    assert await incidents.history(uid) == []
    await desk.file(occurred_at=NOW + dt.timedelta(minutes=2))


async def test_double_filing_of_one_uid_is_refused(desk: Desk) -> None:
    """The same uid filed twice is refused as uid_taken; one incident exists."""
    uid = await desk.file()
    refusal = await refused(desk, create(uid))
    assert (refusal.code, refusal.field) == ("uid_taken", "uid")
    assert len(await incidents.history(uid)) == 1


# --- Pages, through HTTP -----------------------------------------------------------------

FORM_UID = re.compile(r'name="uid" value="([0-9a-f-]{36})"')


async def signed_in(client: httpx.AsyncClient, settings: Settings, role: str) -> int:
    """Sign ``client`` in as a new person with ``role``."""
    staff_id = await make_staff(role)
    await sign_in(client, staff_id, settings)
    return staff_id


async def new_form(client: httpx.AsyncClient, query: str = "") -> str:
    """Open the filing form; returns the uid it carries."""
    response = await client.get(f"/incidents/new{query}")
    assert response.status_code == 200
    found = FORM_UID.search(response.text)
    assert found, response.text
    return found.group(1)


def filing(uid: str, **fields: str) -> dict[str, str]:
    """The filing form's fields as a browser posts them."""
    return {
        "uid": uid,
        "site_id": str(SITE),
        "work_session_id": "",
        "category": "equipment_failure",
        "severity": "medium",
        "occurred_date": "2025-06-02",
        "occurred_time": "09:05",
        "description": "写真撮影用カメラが起動しない",
        "immediate_action": "予備機に交換",
        **fields,
    }


def edit_form(base_version: int, **fields: str) -> dict[str, str]:
    """The edit form's fields as a browser posts them (unchanged values included)."""
    return {
        "base_version": str(base_version),
        "category": "equipment_failure",
        "severity": "medium",
        "description": "写真撮影用カメラが起動しない",
        "immediate_action": "予備機に交換",
        "reported_date": "",
        "reported_time": "",
        "recurrence_prevention": "",
        "status": "open",
        **fields,
    }


def text_of(html: str, testid: str) -> str:
    """The text inside the first element with ``data-testid=testid``."""
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    assert found, f"no {testid}"
    return found.group(1).strip()


async def file_over_http(client: httpx.AsyncClient, **fields: str) -> str:
    """File through the form; returns the uid."""
    uid = await new_form(client)
    response = await client.post("/incidents", data=filing(uid, **fields))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/incidents/{uid}"
    return uid


async def test_operator_files_through_the_form_and_sees_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """An operator files via the form (303 to the detail page) and finds it there and listed."""
    await signed_in(client, settings, "operator")
    uid = await file_over_http(client)
    detail = await client.get(f"/incidents/{uid}")
    assert detail.status_code == 200
    assert text_of(detail.text, "field-description") == "写真撮影用カメラが起動しない"
    assert (
        text_of(detail.text, "field-occurred_at") == "2025年6月2日(月) 09:05"
    )  # JST as typed, dated as people read it
    assert text_of(detail.text, "field-category") == "機器故障"
    assert text_of(detail.text, "field-severity") == "中"
    assert text_of(detail.text, "field-status") == "対応中"
    assert 'data-testid="edit-form"' in detail.text
    assert 'data-testid="revision"' in detail.text
    stored = await incidents.get(uid, now=dt.datetime.now(dt.UTC), report_minutes=60)
    assert stored is not None
    assert stored.occurred_at == dt.datetime(2025, 6, 2, 0, 5, tzinfo=dt.UTC)
    listed = await client.get("/incidents")
    assert listed.status_code == 200
    assert f'data-incident-uid="{uid}"' in listed.text


async def test_form_free_text_fields_carry_the_browser_guard(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Every free-text box on the filing and edit forms is marked data-free-text."""
    await signed_in(client, settings, "operator")
    page = await client.get("/incidents/new")
    boxes = re.findall(r"<textarea[^>]*>", page.text)
    assert len(boxes) == 2
    assert all("data-free-text" in box for box in boxes)
    uid = await file_over_http(client)
    detail = await client.get(f"/incidents/{uid}")
    boxes = re.findall(r"<textarea[^>]*>", detail.text)
    assert len(boxes) == 3
    assert all("data-free-text" in box for box in boxes)


async def test_new_form_is_prefilled_from_the_query(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """?site_id=&work_session_id= preselect the site and the work session, which is picked
    from today's by its site and hours, never typed as a number; uid is fresh."""
    field = await open_session(settings, site_id=OTHER_SITE)
    other = await open_session(settings, site_id=1, start_hour=11)
    await sign_in(client, field["operator"], settings)
    query = f"?site_id={OTHER_SITE}&work_session_id={field['session']}"
    response = await client.get(f"/incidents/new{query}", headers={"Accept-Language": "ja"})
    assert re.search(rf'<option value="{OTHER_SITE}" selected>', response.text)
    assert 'name="work_session_id" inputmode="numeric"' not in response.text
    picker = re.search(r'<select name="work_session_id".*?</select>', response.text, re.S)
    assert picker, "no work session picker"
    chosen = re.findall(r'<option value="(\d+)"[^>]*selected>([^<]*)<', picker.group(0))
    site = await sites.get_site(OTHER_SITE)
    assert site is not None
    assert chosen == [(str(field["session"]), f"{site.name_ja} 10:00–16:00")]
    assert f'<option value="{other["session"]}" data-site="1">' in picker.group(0)
    assert await new_form(client, query) != await new_form(client, query)
    uid = await new_form(client, query)
    now = dt.datetime.now(JST)
    posted = await client.post(
        "/incidents",
        data=filing(
            uid,
            site_id=str(OTHER_SITE),
            work_session_id=str(field["session"]),
            occurred_date=now.strftime("%Y-%m-%d"),
            occurred_time=now.strftime("%H:%M"),
        ),
    )
    assert posted.status_code == 303
    stored = await incidents.get(uid, now=dt.datetime.now(dt.UTC), report_minutes=60)
    assert stored is not None
    assert (stored.site_id, stored.work_session_id) == (OTHER_SITE, field["session"])


async def test_double_submit_files_once(client: httpx.AsyncClient, settings: Settings) -> None:
    """Posting the same rendered form twice files one incident; the second gets 409."""
    await signed_in(client, settings, "operator")
    uid = await new_form(client)
    first = await client.post("/incidents", data=filing(uid))
    second = await client.post("/incidents", data=filing(uid))
    assert first.status_code == 303
    assert second.status_code == 409
    assert text_of(second.text, "form-error") == "この記録はすでに登録されています。"
    assert f'href="/incidents/{uid}"' in second.text
    assert len(await incidents.history(uid)) == 1


async def test_city_staff_read_but_cannot_write(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """City staff see the list and detail (no edit form) and get 403 on the form and posts."""
    await signed_in(client, settings, "operator")
    uid = await file_over_http(client)
    await signed_in(client, settings, "city_staff")
    listed = await client.get("/incidents")
    assert listed.status_code == 200
    assert f'data-incident-uid="{uid}"' in listed.text
    assert 'data-testid="new-incident"' not in listed.text
    detail = await client.get(f"/incidents/{uid}")
    assert detail.status_code == 200
    assert 'data-testid="edit-form"' not in detail.text
    assert (await client.get("/incidents/new")).status_code == 403
    assert (await client.post("/incidents", data=filing(new_uid()))).status_code == 403
    edit = await client.post(f"/incidents/{uid}", data=edit_form(1, severity="high"))
    assert edit.status_code == 403
    assert len(await incidents.history(uid)) == 1


async def test_unknown_incident_is_404(client: httpx.AsyncClient, settings: Settings) -> None:
    """An unknown uid answers 404 to reading and editing."""
    await signed_in(client, settings, "operator")
    assert (await client.get(f"/incidents/{new_uid()}")).status_code == 404
    assert (await client.post(f"/incidents/{new_uid()}", data=edit_form(1))).status_code == 404


def row_of(html: str, uid: str) -> str:
    """The list row of incident ``uid``."""
    found = re.search(rf'data-incident-uid="{uid}".*?</tr>', html, re.S)
    assert found, f"no row for {uid}"
    return found.group(0)


def listed_uids(html: str) -> set[str]:
    """Uids of the rows a list page shows."""
    return set(re.findall(r'data-incident-uid="([^"]+)"', html))


async def test_filters_narrow_the_list(client: httpx.AsyncClient, settings: Settings) -> None:
    """Site, JST date range and status filters each narrow the list to matching rows."""
    await signed_in(client, settings, "operator")
    # 2025-06-01 23:30 JST is 14:30 UTC the same day; 2025-06-02 00:30 JST is 15:30 UTC on 06-01.
    late = await file_over_http(client, occurred_date="2025-06-01", occurred_time="23:30")
    early = await file_over_http(client, occurred_date="2025-06-02", occurred_time="00:30")
    other = await file_over_http(
        client, site_id=str(OTHER_SITE), occurred_date="2025-06-03", occurred_time="10:00"
    )
    moved = await client.post(f"/incidents/{other}", data=edit_form(1, status="resolved"))
    assert moved.status_code == 303

    async def shown(query: str) -> set[str]:
        response = await client.get(f"/incidents?{query}")
        assert response.status_code == 200
        return listed_uids(response.text)

    assert await shown("") == {late, early, other}
    assert await shown(f"site_id={SITE}") == {late, early}
    assert await shown(f"site_id={OTHER_SITE}") == {other}
    assert await shown("date_from=2025-06-02&date_to=2025-06-02") == {early}
    assert await shown("date_to=2025-06-01") == {late}
    assert await shown("date_from=2025-06-02") == {early, other}
    assert await shown("status=resolved") == {other}
    assert await shown(f"status=open&site_id={SITE}&date_from=2025-06-01") == {late, early}
    assert await shown("status=closed") == set()
    bad = await client.get("/incidents?date_from=yesterday&status=nonsense")
    assert bad.status_code == 200
    assert text_of(bad.text, "error-date_from") == "正しい日付を入力してください。"


async def test_list_answers_htmx_with_the_results_only(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """The filter form's htmx request gets the results fragment; both answers vary on HX-Request."""
    await signed_in(client, settings, "city_staff")
    full = await client.get("/incidents")
    fragment = await client.get("/incidents", headers={"HX-Request": "true"})
    assert "HX-Request" in full.headers["vary"]
    assert "HX-Request" in fragment.headers["vary"]
    assert "<html" in full.text
    assert "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<section id="incident-results"')


async def test_overdue_badge_shows_on_list_and_detail(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """An unreported high incident past the deadline shows 報告期限超過; a low one doesn't."""
    await signed_in(client, settings, "operator")
    long_ago = dt.datetime.now(JST) - dt.timedelta(
        minutes=settings.field.incident_report_minutes + 30
    )
    when = {
        "occurred_date": long_ago.strftime("%Y-%m-%d"),
        "occurred_time": long_ago.strftime("%H:%M"),
    }
    high = await file_over_http(client, severity="high", **when)
    low = await file_over_http(client, severity="low", **when)
    listed = await client.get("/incidents")
    row_html = {uid: row_of(listed.text, uid) for uid in (high, low)}
    assert "報告期限超過" in row_html[high]
    assert "報告期限超過" not in row_html[low]
    assert "報告期限超過" in (await client.get(f"/incidents/{high}")).text
    reported = await client.post(
        f"/incidents/{high}", data=edit_form(1, severity="high", status="reported")
    )
    assert reported.status_code == 303
    assert "報告期限超過" not in (await client.get(f"/incidents/{high}")).text


async def test_form_error_keeps_input_and_shows_japanese_message(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A refused filing re-renders with what was typed and the Japanese message by the field."""
    await signed_in(client, settings, "operator")
    uid = await new_form(client)
    typed = filing(uid, description=MY_NUMBER_WIDE, immediate_action="別室でお話を伺った")
    response = await client.post("/incidents", data=typed)
    assert response.status_code == 400
    assert MY_NUMBER_JA in text_of(response.text, "error-description")
    assert "別室でお話を伺った</textarea>" in response.text
    assert f'value="{uid}"' in response.text
    assert '<option value="equipment_failure" selected>' in response.text
    assert 'value="09:05"' in response.text
    assert await incidents.history(uid) == []

    missing = await client.post("/incidents", data=filing(uid, description="  "))
    assert missing.status_code == 400
    assert text_of(missing.text, "error-description") == "入力してください。"
    late = await client.post("/incidents", data=filing(uid, occurred_date="2099-01-01"))
    assert text_of(late.text, "error-occurred_at") == "未来の日時は指定できません。"
    no_site = await client.post("/incidents", data=filing(uid, site_id=""))
    assert text_of(no_site.text, "error-site_id") == "履行場所を選んでください。"
    assert await incidents.history(uid) == []


async def test_edit_sends_only_changed_fields_and_keeps_history(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Editing from the form changes only the edited fields; history shows old → new."""
    operator = await signed_in(client, settings, "operator")
    uid = await file_over_http(client)
    response = await client.post(
        f"/incidents/{uid}",
        data=edit_form(
            1,
            severity="high",
            recurrence_prevention="始業前に予備機の動作確認",
            reported_date="2025-06-02",
            reported_time="09:40",
            status="reported",
        ),
    )
    assert response.status_code == 303
    history = await incidents.history(uid)
    assert [r.version for r in history] == [1, 2]
    assert set(history[1].changes) == {
        "severity",
        "recurrence_prevention",
        "reported_to_city_at",
        "status",
    }
    assert history[1].actor_id == operator
    detail = await client.get(f"/incidents/{uid}")
    assert text_of(detail.text, "field-reported_to_city_at") == "2025年6月2日(月) 09:40"
    revision = re.findall(r'data-version="2".*?</li>', detail.text, re.S)[0]
    assert re.search(
        r"中</span>\s*<span[^>]*>→</span>.*?<span class=\"new\">高</span>", revision, re.S
    )
    assert "2025年6月2日(月) 09:40" in revision
    # Status choices only go forward from reported.
    assert '<option value="open"' not in detail.text.split('name="status"', 1)[1]


async def test_stale_edit_of_the_same_field_shows_the_conflict(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Two people edit from version 1: another field is merged, the same field is a conflict."""
    await signed_in(client, settings, "operator")
    uid = await file_over_http(client)
    first = await client.post(f"/incidents/{uid}", data=edit_form(1, severity="high"))
    assert first.status_code == 303
    # Same base, a different field: the severity shown on that stale form was "medium".
    merged = await client.post(
        f"/incidents/{uid}", data=edit_form(1, immediate_action="予備機に交換し再起動")
    )
    assert merged.status_code == 303
    current = await incidents.get(uid, now=dt.datetime.now(dt.UTC), report_minutes=60)
    assert current is not None
    assert (current.severity, current.immediate_action, current.version) == (
        "high",
        "予備機に交換し再起動",
        3,
    )
    clash = await client.post(f"/incidents/{uid}", data=edit_form(1, severity="critical"))
    assert clash.status_code == 400
    assert text_of(clash.text, "error-severity") == (
        "他の人がこの項目を変更しました。再読み込みしてからやり直してください。"
    )
    assert 'value="critical" checked' in clash.text
    after = await incidents.get(uid, now=dt.datetime.now(dt.UTC), report_minutes=60)
    assert after is not None
    assert (after.severity, after.version) == ("high", 3)


async def test_closed_incident_shows_no_form_and_refuses_posts(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A closed incident's page has no edit form; a post anyway is refused in Japanese."""
    await signed_in(client, settings, "business_manager")
    uid = await file_over_http(client)
    closed = await client.post(f"/incidents/{uid}", data=edit_form(1, status="closed"))
    assert closed.status_code == 303
    detail = await client.get(f"/incidents/{uid}")
    assert 'data-testid="edit-form"' not in detail.text
    assert 'data-testid="closed-note"' in detail.text
    late = await client.post(f"/incidents/{uid}", data=edit_form(2, description="追記"))
    assert late.status_code == 400
    assert text_of(late.text, "form-error") == "完了した記録は変更できません。"
    assert len(await incidents.history(uid)) == 2
