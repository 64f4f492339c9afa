"""Shapes of the dashboard: a site's day so far, and what is waiting for a manager."""

from __future__ import annotations

import datetime as dt

import msgspec

from server.headcounts.schemas import Category
from server.incidents.schemas import IncidentOut
from server.reconciliation.review import Item
from server.sites.schemas import SiteOut
from server.work_sessions.schemas import WorkSessionOut


class SiteToday(msgspec.Struct, frozen=True, kw_only=True):
    """A site's work sessions today and the sums of their counts: per category counted
    (in display order, categories still at zero left out) and in all."""

    site: SiteOut
    sessions: list[WorkSessionOut]
    counted: list[tuple[Category, int]]
    total: int


class QuietDevice(msgspec.Struct, frozen=True, kw_only=True):
    """A tablet that sent changes earlier today from a site open now, and none lately."""

    label: str
    site: SiteOut
    last_seen_at: dt.datetime


class Problems(msgspec.Struct, frozen=True, kw_only=True):
    """What is waiting for a manager: synced changes to review (the newest few, and how
    many in all), today's incidents still open or overdue, sessions not started on time,
    quiet tablets."""

    review: list[Item]
    review_total: int
    incidents: list[IncidentOut]
    late: list[WorkSessionOut]
    quiet: list[QuietDevice]

    @property
    def count(self) -> int:
        """How many problems there are in all."""
        return self.review_total + len(self.incidents) + len(self.late) + len(self.quiet)


class Dashboard(msgspec.Struct, frozen=True, kw_only=True):
    """Today (JST) as of ``at``: every site with work sessions today, and the problems."""

    day: dt.date
    at: dt.datetime
    sites: list[SiteToday]
    total: int
    problems: Problems
