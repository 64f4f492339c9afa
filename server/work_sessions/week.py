"""The planning week: each site's sessions from Monday to Sunday beside its opening calendar,
with the sessions that clash (overlap another at the same site, or fall outside its hours)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import msgspec

from server.sites import service as sites
from server.sites.schemas import SiteOut
from server.work_sessions import reads
from server.work_sessions.schemas import WorkSessionOut

MAX_SESSIONS = 2000


class Cell(msgspec.Struct, frozen=True, kw_only=True):
    """One site on one day: its opening, its sessions in order, and which of them clash
    (``overlaps``: with another there; ``outside``: outside its opening hours)."""

    site: SiteOut
    opening: sites.Opening
    sessions: list[WorkSessionOut]
    overlaps: frozenset[int] = frozenset()
    outside: frozenset[int] = frozenset()


class Day(msgspec.Struct, frozen=True, kw_only=True):
    """One day of the week and every site's cell on it."""

    day: dt.date
    holiday: str
    cells: list[Cell]


class Week(msgspec.Struct, frozen=True, kw_only=True):
    """Monday to Sunday, the sites shown (rows) and each day's cells in their order."""

    monday: dt.date
    sites: list[SiteOut]
    days: list[Day]
    clashes: int

    @property
    def sunday(self) -> dt.date:
        """The week's last day."""
        return self.monday + dt.timedelta(days=6)

    def cell(self, site_index: int, day_index: int) -> Cell:
        """The cell of the ``site_index``-th site on the ``day_index``-th day."""
        return self.days[day_index].cells[site_index]


def monday_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def overlapping(sessions: list[WorkSessionOut]) -> frozenset[int]:
    """The ids of the sessions whose planned window overlaps another's in ``sessions``."""
    ordered = sorted(sessions, key=lambda s: (s.planned_start, s.planned_end))
    found: set[int] = set()
    for index, session in enumerate(ordered):
        for later in ordered[index + 1 :]:
            if later.planned_start >= session.planned_end:
                break
            found.update((session.id, later.id))
    return frozenset(found)


def _cell(site: SiteOut, opening: sites.Opening, sessions: list[WorkSessionOut]) -> Cell:
    sessions = sorted(sessions, key=lambda s: (s.planned_start, s.id))
    outside = {s.id for s in sessions if not sites.within(opening, s.planned_start, s.planned_end)}
    return Cell(
        site=site,
        opening=opening,
        sessions=sessions,
        overlaps=overlapping(sessions),
        outside=frozenset(outside),
    )


async def build(day: dt.date) -> Week:
    """The week holding ``day``: active sites, and retired ones with a session that week."""
    monday = monday_of(day)
    sunday = monday + dt.timedelta(days=6)
    sessions = await reads.search(date_from=monday, date_to=sunday, limit=MAX_SESSIONS)
    by_cell: dict[tuple[int, dt.date], list[WorkSessionOut]] = defaultdict(list)
    for session in sessions:
        by_cell[session.site_id, session.work_date].append(session)
    planned_at = {session.site_id for session in sessions}
    shown = [
        site
        for site in await sites.list_sites(include_retired=True)
        if site.active or site.id in planned_at
    ]
    rules = await sites.rules_of_many(shown, monday, sunday)
    days = []
    for offset in range(7):
        date = monday + dt.timedelta(days=offset)
        cells = [
            _cell(site, sites.opening(rules[site.id], date), by_cell[site.id, date])
            for site in shown
        ]
        days.append(Day(day=date, holiday=sites.holiday_name(date), cells=cells))
    clashes = sum(len(c.overlaps | c.outside) for d in days for c in d.cells)
    return Week(monday=monday, sites=shown, days=days, clashes=clashes)
