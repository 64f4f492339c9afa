"""Hand-written statements of the monthly report: a month's counts summed in the database
by site, category and Japan day, and the sessions it covers with how many people worked
each, in one statement each whatever the number of sites and increments.

Counts are read from ``headcount_cell`` (the running sums kept with every increment), so
a month of a million increments costs its few thousand cells.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.querystring import QueryString

from server import db

COUNTS = (
    "SELECT ws.site AS site, c.category AS category, "
    "CASE WHEN ws.work_date >= {} THEN 1 ELSE 0 END AS this_month, "
    "{day} AS day, SUM(c.n) AS n "
    "FROM headcount_cell c JOIN work_session ws ON ws.id = c.work_session "
    "WHERE ws.work_date >= {} AND ws.work_date < {} {site} "
    "GROUP BY ws.site, c.category, this_month, day"
)
SESSIONS = (
    "SELECT ws.id AS id, ws.site AS site, ws.work_date AS work_date, ws.status AS status, "
    "ws.planned_start AS planned_start, ws.planned_end AS planned_end, "
    "ws.actual_start AS actual_start, ws.actual_end AS actual_end, "
    "(SELECT COUNT(*) FROM work_session_staff wss WHERE wss.work_session = ws.id) AS people "
    "FROM work_session ws WHERE ws.work_date >= {} AND ws.work_date < {} {site}"
)


def _jst_day(column: str) -> str:
    """The Japan date of a stored moment (our own column name, never input)."""
    if db.is_postgres():
        return f"CAST(({column} AT TIME ZONE 'Asia/Tokyo') AS DATE)"
    # SQLite keeps moments as ISO text with an offset, which date() reads as UTC.
    return f"date({column}, '+9 hours')"


def _site(site_id: int | None) -> QueryString:
    return QueryString("AND ws.site = {}", site_id) if site_id else QueryString("")


def counts_query(
    previous: dt.date, month: dt.date, following: dt.date, site_id: int | None
) -> QueryString:
    """Sums per site, category and slot's Japan day of the sessions dated from
    ``previous`` up to ``following``; ``this_month`` is 1 for those dated from ``month``."""
    text = COUNTS.replace("{day}", _jst_day("c.slot_start")).replace("{site}", "{}")
    return QueryString(text, month, previous, following, _site(site_id))


def sessions_query(start: dt.date, until: dt.date, site_id: int | None) -> QueryString:
    """Work sessions dated from ``start`` up to ``until`` with how many people work each."""
    return QueryString(SESSIONS.replace("{site}", "{}"), start, until, _site(site_id))


async def counts(
    previous: dt.date, month: dt.date, following: dt.date, site_id: int | None
) -> list[dict[str, Any]]:
    """The rows of :func:`counts_query`."""
    return await db.fetch(counts_query(previous, month, following, site_id))


async def sessions(start: dt.date, until: dt.date, site_id: int | None) -> list[dict[str, Any]]:
    """The rows of :func:`sessions_query`."""
    return await db.fetch(sessions_query(start, until, site_id))
