"""A site's day compiled from its records for the journal: nobody types a figure twice.

A site's day is its work sessions on that date (JST), the people who worked them, the sums
of their headcount increments and the incidents that occurred at the site that day.
"""

from __future__ import annotations

import datetime as dt

from server.headcounts import service as headcounts
from server.incidents import service as incidents
from server.journal.schemas import COMPLAINT_KINDS, FAULT_KINDS, JournalDay, OnDuty
from server.sites import service as sites
from server.work_sessions import service as work_sessions
from server.work_sessions.schemas import WorkSessionOut


def _hours(session: WorkSessionOut) -> tuple[dt.datetime, dt.datetime]:
    """When a session ran: as started and finished, or as planned where it was not."""
    return session.actual_start or session.planned_start, session.actual_end or session.planned_end


def _on_duty(sessions: list[WorkSessionOut]) -> list[OnDuty]:
    """Each person once, from their first start to their last end, minutes summed."""
    found: dict[int, OnDuty] = {}
    for session in sessions:
        start, end = _hours(session)
        minutes = max(0, round((end - start).total_seconds() / 60))
        for person in session.staff:
            before = found.get(person.staff_id)
            found[person.staff_id] = OnDuty(
                staff_id=person.staff_id,
                display_name=person.display_name,
                role=person.role,
                in_charge=person.duty == "in_charge" or (before is not None and before.in_charge),
                start=min(start, before.start) if before else start,
                end=max(end, before.end) if before else end,
                minutes=minutes + (before.minutes if before else 0),
            )
    return sorted(found.values(), key=lambda p: (not p.in_charge, p.start, p.display_name))


async def compile_day(
    site_id: int, day: dt.date, *, now: dt.datetime, slot_minutes: int, report_minutes: int
) -> JournalDay | None:
    """The journal of ``site_id`` on ``day`` (JST) as the records stand; None for an
    unknown site."""
    site = await sites.get_site(site_id)
    if site is None:
        return None
    sessions = sorted(
        await work_sessions.search(site_id=site_id, date_from=day, date_to=day),
        key=lambda s: (s.planned_start, s.id),
    )
    cells: dict[tuple[dt.datetime, str], int] = {}
    for session_cells in (await headcounts.cells([s.id for s in sessions])).values():
        for key, n in session_cells.items():
            cells[key] = cells.get(key, 0) + n
    sums = headcounts.summarize(cells)
    slots = {slot for s in sessions for slot in headcounts.session_slots(s, slot_minutes)}
    counted = await headcounts.categories(site.counted_as, include_inactive=True)
    # Retired categories stay on a day that counted them (the counts were made).
    categories = [c for c in counted if c.active or sums.by_category.get(c.code)]
    day_incidents = sorted(
        await incidents.search(
            site_id=site_id, date_from=day, date_to=day, now=now, report_minutes=report_minutes
        ),
        key=lambda i: i.occurred_at,
    )
    return JournalDay(
        site=site,
        day=day,
        sessions=sessions,
        on_duty=_on_duty(sessions),
        categories=categories,
        slots=sorted(slots | set(sums.by_slot)),
        cells=cells,
        by_category=sums.by_category,
        by_slot=sums.by_slot,
        total=sums.total,
        faults=[i for i in day_incidents if i.category in FAULT_KINDS],
        complaints=[i for i in day_incidents if i.category in COMPLAINT_KINDS],
        incidents=[i for i in day_incidents if i.category not in FAULT_KINDS | COMPLAINT_KINDS],
        checks=await work_sessions.checks_of([s.id for s in sessions]),
        check_lines=await work_sessions.check_lines(site.counted_as),
    )
