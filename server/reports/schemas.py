"""Shapes of the monthly performance report (実績報告書) as compiled from the records."""

from __future__ import annotations

import datetime as dt

import msgspec

from server.headcounts.schemas import Category
from server.incidents.schemas import IncidentOut
from server.sites.schemas import SiteOut

# Counted categories that are applications taken (申請受付, split by how the card reaches
# the person): the codes that start with this.
APPLICATIONS = "applications"


class Figures(msgspec.Struct, frozen=True, kw_only=True):
    """A month's figures for a site, a group of sites or all of them. Sessions are those
    held (started); minutes are from start to end, planned where not recorded."""

    sessions: int = 0
    minutes: int = 0
    staff_minutes: int = 0
    events: int = 0
    event_minutes: int = 0
    applications: int = 0
    headcount: int = 0
    incidents: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(**{f: getattr(self, f) + getattr(other, f) for f in self.__struct_fields__})

    @property
    def per_event(self) -> float | None:
        """Applications per outreach event held, or None without events."""
        return self.applications / self.events if self.events else None

    @property
    def per_hour(self) -> float | None:
        """Applications per hour of outreach events, or None without their hours."""
        return self.applications * 60 / self.event_minutes if self.event_minutes else None


class Block(msgspec.Struct, frozen=True, kw_only=True):
    """One part of the report: a site, a group of sites (``group``), or everything in
    the report's scope (neither). Counts are per category code, per JST day, and per
    (day, category); ``before`` is the previous month's."""

    site: SiteOut | None = None
    group: str | None = None
    categories: list[Category] = []
    now: Figures
    before: Figures
    by_category: dict[str, int]
    before_by_category: dict[str, int]
    cells: dict[tuple[dt.date, str], int]
    by_day: dict[dt.date, int]


class PlannedVenue(msgspec.Struct, frozen=True, kw_only=True):
    """A work session planned next month at an outreach venue."""

    work_session_id: int
    site: SiteOut
    work_date: dt.date
    planned_start: dt.datetime
    planned_end: dt.datetime


class MonthlyReport(msgspec.Struct, frozen=True, kw_only=True):
    """A month's report for one site or all sites: the whole, each category group (all
    sites only), each site, the month's incidents and next month's planned venues."""

    month: dt.date
    previous: dt.date
    site_id: int | None
    days: list[dt.date]
    whole: Block
    groups: list[Block]
    sites: list[Block]
    incidents: list[IncidentOut]
    incident_counts: dict[tuple[str, str], int]
    planned: list[PlannedVenue]


def change(now: int | float, before: int | float) -> tuple[float, float | None]:
    """The difference from the previous month and it as a percentage of the previous
    month's figure (None when that was zero: no percentage of nothing)."""
    difference = now - before
    return difference, (round(difference * 100 / before, 1) if before else None)
