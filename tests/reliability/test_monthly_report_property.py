"""Every figure of the monthly report and the daily journal equals the sum computed
directly from the stored rows.

Hypothesis draws counts (with corrections: negative deltas, refused when they would take a
total below zero) on sessions dated across a month and its neighbours (the last day of
the month before, the month's first and last days, a venue's event, the next month's
first day) and incidents at times across the same days. The report of the month is then
compared with sums of the ``headcount`` rows themselves (not the running cells the report
reads), per site, category and JST day, and with the previous month's.

Examples: ``MADOGUCHI_REPORT_EXAMPLES`` (default 25; CI may set more).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from server.common.errors import OpRejected
from server.journal import service as journal
from server.reports import service
from server.settings import Settings
from server.sites import service as sites
from server.sync import ops
from tests import dbutil
from tests.support.field import JST, apply, new_uid, open_session, window

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("MADOGUCHI_REPORT_EXAMPLES", "25"))
MONTH = dt.date(2026, 6, 1)
OFFICE = 1
OFFICE_CODES = ("issuance_reserved", "pin_reset", "phone")
VENUE_CODES = ("visitors", "applications_mail", "applications_collect")
# (day, start hour, at the venue): sessions of six hours around the month's edges.
SESSIONS = (
    (dt.date(2026, 5, 31), 10, False),
    (dt.date(2026, 6, 1), 9, False),
    (dt.date(2026, 6, 10), 10, True),
    (dt.date(2026, 6, 30), 18, False),  # its last slot is 23:30–24:00 JST
    (dt.date(2026, 7, 1), 9, False),
)
SLOTS = 12  # half-hour slots in six hours
KINDS = ("complaint", "system_failure", "personal_information")
SEVERITIES = ("low", "high")

counts = st.lists(
    st.tuples(
        st.integers(0, len(SESSIONS) - 1),
        st.integers(0, SLOTS - 1),
        st.integers(0, 2),
        st.integers(-2, 4).filter(bool),
    ),
    max_size=30,
)
incidents = st.lists(
    st.tuples(
        st.integers(0, 3 * 24 * 60 - 1),  # minutes from May 30 22:00 JST… across three days
        st.integers(0, 1),
        st.sampled_from(KINDS),
        st.sampled_from(SEVERITIES),
    ),
    max_size=6,
)


@pytest.fixture
async def rig(client: httpx.AsyncClient, settings: Settings) -> dict[str, Any]:
    """The sessions (opened, staffed) and the venue, made once for all examples."""
    venue = await sites.add_outreach_venue(name_ja=f"性質会場 {uuid.uuid4().hex[:6]}")
    made = []
    for day, hour, at_venue in SESSIONS:
        site = venue.id if at_venue else OFFICE
        made.append((await open_session(settings, site_id=site, day=day, start_hour=hour), day))
    return {"venue": venue.id, "sessions": made}


def _moment(value: Any) -> dt.datetime:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _clear(url: str, rig: dict[str, Any]) -> None:
    ids = ", ".join(str(ids["session"]) for ids, _ in rig["sessions"])
    sites_in = f"{OFFICE}, {rig['venue']}"
    dbutil.execute(
        url,
        f"DELETE FROM headcount WHERE work_session IN ({ids})",
        f"DELETE FROM headcount_cell WHERE work_session IN ({ids})",
        "DELETE FROM incident_revision WHERE incident IN "
        f"(SELECT id FROM incident WHERE site IN ({sites_in}))",
        f"DELETE FROM incident WHERE site IN ({sites_in})",
    )


def _direct(url: str) -> tuple[dict[tuple[int, dt.date, str], int], dict[tuple[int, str], int]]:
    """This month's sums per (site, JST day, category) and last month's per (site,
    category), from the increments themselves."""
    rows = dbutil.fetch(
        url,
        "SELECT ws.site, ws.work_date, h.slot_start, h.category, h.delta FROM headcount h "
        "JOIN work_session ws ON ws.id = h.work_session "
        "WHERE ws.work_date >= '2026-05-01' AND ws.work_date < '2026-07-01'",
    )
    now: Counter[tuple[int, dt.date, str]] = Counter()
    before: Counter[tuple[int, str]] = Counter()
    for site, work_date, slot, code, delta in rows:
        if str(work_date)[:10] >= MONTH.isoformat():
            now[(int(site), _moment(slot).astimezone(JST).date(), str(code))] += int(delta)
        else:
            before[(int(site), str(code))] += int(delta)
    return dict(now), dict(before)


def _direct_day(url: str, site: int, day: dt.date) -> dict[tuple[dt.datetime, str], int]:
    """A site-day's sums per slot (UTC) and category from the increments of its sessions."""
    rows = dbutil.fetch(
        url,
        "SELECT h.slot_start, h.category, h.delta FROM headcount h "
        "JOIN work_session ws ON ws.id = h.work_session "
        f"WHERE ws.site = {site} AND ws.work_date = '{day.isoformat()}'",
    )
    found: Counter[tuple[dt.datetime, str]] = Counter()
    for slot, code, delta in rows:
        found[(_moment(slot).astimezone(dt.UTC), str(code))] += int(delta)
    return dict(found)


def _incidents_on(url: str, site: int, day: dt.date) -> set[str]:
    """The uids of a site's incidents that happened on ``day`` in JST."""
    rows = dbutil.fetch(url, f"SELECT uid, occurred_at FROM incident WHERE site = {site}")
    return {str(uid) for uid, at in rows if _moment(at).astimezone(JST).date() == day}


async def _check_journals(url: str, settings: Settings, rig: dict[str, Any]) -> None:
    """Each session's site-day journal: its cells, totals and incidents are the rows'."""
    for index, (day, _, at_venue) in enumerate(SESSIONS):
        site = rig["venue"] if at_venue else OFFICE
        compiled = await journal.compile_day(
            site, day, now=dt.datetime.now(dt.UTC), slot_minutes=30, report_minutes=60
        )
        assert compiled is not None, index
        want = _direct_day(url, site, day)
        got = {(slot.astimezone(dt.UTC), code): n for (slot, code), n in compiled.cells.items()}
        assert _nonzero(got) == _nonzero(want), day
        by_slot: Counter[dt.datetime] = Counter()
        by_code: Counter[str] = Counter()
        for (slot, code), n in want.items():
            by_slot[slot] += n
            by_code[code] += n
        shown = {slot.astimezone(dt.UTC): n for slot, n in compiled.by_slot.items()}
        assert _nonzero(shown) == _nonzero(dict(by_slot)), day
        assert _nonzero(compiled.by_category) == _nonzero(dict(by_code)), day
        assert compiled.total == sum(want.values()), day
        listed = {i.uid for i in (*compiled.faults, *compiled.complaints, *compiled.incidents)}
        assert listed == _incidents_on(url, site, day), day


def _nonzero(found: dict[Any, int]) -> dict[Any, int]:
    return {k: n for k, n in found.items() if n}


@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(taps=counts, filed=incidents)
async def test_every_figure_is_the_sum_of_the_stored_rows(
    rig: dict[str, Any],
    settings: Settings,
    database_url: str,
    taps: list[tuple[int, int, int, int]],
    filed: list[tuple[int, int, str, str]],
) -> None:
    """Counts, corrections and incidents across the month's edges: the report's figures
    per site, day and category, its totals and its previous month are the stored sums; so
    is each day's journal, with the incidents of its JST day."""
    _clear(database_url, rig)
    step = dt.timedelta(minutes=settings.field.slot_minutes)
    for session, slot, code, delta in taps:
        ids, day = rig["sessions"][session]
        _, start, _ = window(day, SESSIONS[session][1])
        category = (VENUE_CODES if SESSIONS[session][2] else OFFICE_CODES)[code]
        add = ops.AddHeadcount(
            work_session_id=ids["session"],
            slot_start=start + slot * step,
            category=category,
            delta=delta,
        )
        with contextlib.suppress(OpRejected):  # a correction below zero: nothing stored
            await apply(ops.HeadcountAdd(payload=add), ids["operator"], "operator", settings)
    origin = dt.datetime(2026, 5, 30, 22, 0, tzinfo=JST)
    for minutes, where, kind, severity in filed:
        ids, _ = rig["sessions"][0]
        create = ops.CreateIncident(
            uid=new_uid(),
            site_id=rig["venue"] if where else OFFICE,
            category=kind,  # type: ignore[arg-type]
            severity=severity,  # type: ignore[arg-type]
            occurred_at=origin + dt.timedelta(minutes=minutes),
            description="性質テスト",
        )
        await apply(ops.IncidentCreate(payload=create), ids["operator"], "operator", settings)

    report = await service.monthly(MONTH, None, now=dt.datetime.now(dt.UTC), report_minutes=60)
    now, before = _direct(database_url)
    ours = {OFFICE, rig["venue"]}
    blocks = {b.site.id: b for b in report.sites if b.site and b.site.id in ours}
    for site in ours:
        block = blocks[site]
        want_cells = {(d, c): n for (s, d, c), n in now.items() if s == site}
        assert _nonzero(block.cells) == _nonzero(want_cells)
        want_days: Counter[dt.date] = Counter()
        want_codes: Counter[str] = Counter()
        for (day, counted), n in want_cells.items():
            want_days[day] += n
            want_codes[counted] += n
        assert _nonzero(block.by_day) == _nonzero(dict(want_days))
        assert _nonzero(block.by_category) == _nonzero(dict(want_codes))
        assert block.now.headcount == sum(want_codes.values())
        want_before = {c: n for (s, c), n in before.items() if s == site}
        assert _nonzero(block.before_by_category) == _nonzero(want_before)
        assert block.before.headcount == sum(want_before.values())
    venue = blocks[rig["venue"]]
    assert venue.now.applications == sum(
        n for (s, _, c), n in now.items() if s == rig["venue"] and c.startswith("applications")
    )
    assert venue.now.events == 1 and venue.now.minutes == 6 * 60
    everything = sum(b.now.headcount for b in report.sites)
    assert (
        report.whole.now.headcount
        == everything
        == sum(n for b in report.groups for n in b.by_category.values())
    )
    assert report.whole.now.headcount == sum(now.values())

    stored = dbutil.fetch(
        database_url,
        "SELECT category, severity, occurred_at FROM incident",
    )
    want_incidents: Counter[tuple[str, str]] = Counter()
    for kind, severity, at in stored:
        if _moment(at).astimezone(JST).date().replace(day=1) == MONTH:
            want_incidents[(str(kind), str(severity))] += 1
    assert report.incident_counts == dict(want_incidents)
    await _check_journals(database_url, settings, rig)
