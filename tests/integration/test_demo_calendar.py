"""The demo month keeps to the counters' opening calendar, across the year's end too."""

from __future__ import annotations

import datetime as dt

import httpx

from server.demo import load_demo
from server.settings import Settings
from server.sites import calendar
from server.sites import service as sites
from server.work_sessions import service as work_sessions
from tests import dbutil

NEW_YEAR_WEEK = dt.date(2027, 1, 5)  # a Tuesday: the week before it holds 12/29 to 1/3
OPENING_DAYS = 30  # the demo's default month


async def test_demo_plans_only_open_days_and_hours(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Ending on 5 January, the demo's counters work no day from 29 December to 3 January,
    and each session at a counter lies within that day's hours; a full month is still made."""
    added = await load_demo(settings, today=NEW_YEAR_WEEK)
    assert added["sessions"] >= 100
    rows = dbutil.fetch(database_url, "SELECT id FROM work_session")
    sessions = (await work_sessions.get_many(int(r[0]) for r in rows)).values()
    fixed_days = set()
    for session in sessions:
        site = await sites.get_site(session.site_id)
        assert site is not None
        if not site.fixed:
            continue
        fixed_days.add(session.work_date)
        opened = await sites.opening_of(site, session.work_date)
        assert sites.within(opened, session.planned_start, session.planned_end), session
    assert fixed_days, "no counter session at all"
    assert not {d for d in fixed_days if calendar.is_year_end(d)}
    assert max(fixed_days) == NEW_YEAR_WEEK and min(fixed_days) < dt.date(2026, 12, 29)
    assert len(fixed_days) == OPENING_DAYS
