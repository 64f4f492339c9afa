"""What planning a work session must respect: no day gone by, the site's opening calendar
(its days and hours), and no other session at the same site at the same time.

Every refusal is an :class:`OpRejected`, so a form and a synced op meet the same rule. A
special event on a closed day is planned by first opening that day on the site's calendar
(an audited op), never by passing the check. A second session at one site at the same time
is usually the same plan entered twice, so it is refused until the planner confirms it
(``allow_overlap``: two teams at a large event); the planning week marks it.
"""

from __future__ import annotations

import datetime as dt

from server.common.errors import OpRejected
from server.common.parsing import hhmm, in_jst
from server.messages import N_
from server.ops.context import ApplyContext
from server.sites import service as sites
from server.sites.schemas import SiteOut
from server.work_sessions.tables import WorkSession

PAST = N_("%(day)s has already passed: plan today or a later day.")
CLOSED = {
    "weekly": N_(
        "The site is closed on %(day)s: it does not open on that day of the week. "
        "A manager can open the day on the site's calendar."
    ),
    "holiday": N_(
        "The site is closed on %(day)s, a public holiday (%(holiday)s). "
        "A manager can open the day on the site's calendar."
    ),
    "year_end": N_(
        "The site is closed on %(day)s for the year-end holidays (29 December to 3 January). "
        "A manager can open the day on the site's calendar."
    ),
    "exception": N_(
        "The site is closed on %(day)s by its calendar. "
        "A manager can open the day on the site's calendar."
    ),
}
OUTSIDE_HOURS = N_("The site is open %(hours)s on %(day)s: plan the session within those hours.")
OVERLAP = N_(
    "Another work session at this site (%(day)s %(hours)s) overlaps these times: add staff "
    "to it, choose other times, or confirm that both are meant."
)


def check_not_past(work_date: dt.date, context: ApplyContext) -> None:
    """Refuse a work date before today (JST, by the server's clock)."""
    if work_date < in_jst(context.now).date():
        raise OpRejected("date_past", PAST, field="work_date", day=work_date.isoformat())


async def check_calendar(
    site: SiteOut, work_date: dt.date, start: dt.datetime, end: dt.datetime
) -> None:
    """Refuse a day the site is closed, or a window outside its hours that day."""
    opened = await sites.opening_of(site, work_date)
    day = work_date.isoformat()
    if not opened.is_open:
        raise OpRejected(
            "site_closed",
            CLOSED.get(opened.why, CLOSED["exception"]),
            field="work_date",
            day=day,
            holiday=opened.holiday,
        )
    if not sites.within(opened, start, end):
        hours = opened.hours.text() if opened.hours else ""
        raise OpRejected(
            "outside_hours", OUTSIDE_HOURS, field="planned_start", day=day, hours=hours
        )


async def check_overlap(
    site_id: int, start: dt.datetime, end: dt.datetime, *, session_id: int | None = None
) -> None:
    """Refuse a window that overlaps another session's at the same site (unless the
    planner confirmed it: the caller then does not ask)."""
    query = WorkSession.select(
        WorkSession.planned_start, WorkSession.planned_end, WorkSession.work_date
    ).where(
        (WorkSession.site == site_id)
        & (WorkSession.planned_start < end)
        & (WorkSession.planned_end > start)
    )
    if session_id is not None:
        query = query.where(WorkSession._meta.primary_key != session_id)
    other = await query.first()
    if other is not None:
        start_text, end_text = hhmm(other["planned_start"]), hhmm(other["planned_end"])
        raise OpRejected(
            "site_overlap",
            OVERLAP,
            field="allow_overlap",
            day=in_jst(other["planned_start"]).date().isoformat(),
            hours=f"{start_text}–{end_text}",
        )


async def check_plan(
    site: SiteOut,
    work_date: dt.date,
    start: dt.datetime,
    end: dt.datetime,
    context: ApplyContext,
    *,
    allow_overlap: bool = False,
) -> None:
    """Every planning rule for a new session (after the site's row is locked)."""
    check_not_past(work_date, context)
    await check_calendar(site, work_date, start, end)
    if not allow_overlap:
        await check_overlap(site.id, start, end)


async def check_new_times(
    site_id: int,
    work_date: dt.date,
    start: dt.datetime,
    end: dt.datetime,
    session_id: int,
    *,
    allow_overlap: bool = False,
) -> None:
    """The rules a session's changed window must meet: the calendar and no overlap."""
    site = await sites.get_site(site_id)
    if site is not None:
        await sites.lock(site_id)
        await check_calendar(site, work_date, start, end)
    if not allow_overlap:
        await check_overlap(site_id, start, end, session_id=session_id)
