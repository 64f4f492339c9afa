"""Shapes of a daily journal as compiled from the day's records."""

from __future__ import annotations

import datetime as dt

import msgspec

from server.headcounts.schemas import Category
from server.incidents.schemas import IncidentOut
from server.sites.schemas import SiteOut
from server.work_sessions.schemas import CheckLine, SessionChecks, WorkSessionOut

# Incident kinds the journal lists apart: the system's faults with their times, and the
# complaints; everything else is an incident or near-miss of the day.
FAULT_KINDS = frozenset({"system_failure", "equipment_failure"})
COMPLAINT_KINDS = frozenset({"complaint", "unreasonable_demand"})


class OnDuty(msgspec.Struct, frozen=True, kw_only=True):
    """Someone who worked at the site that day: role, duty and hours over its sessions."""

    staff_id: int
    display_name: str
    role: str
    in_charge: bool
    start: dt.datetime
    end: dt.datetime
    minutes: int


class JournalDay(msgspec.Struct, frozen=True, kw_only=True):
    """A site's day as its journal shows it. Counts are sums of the day's sessions'
    increments: per category, per slot start (UTC) and per (slot, category)."""

    site: SiteOut
    day: dt.date
    sessions: list[WorkSessionOut]
    on_duty: list[OnDuty]
    categories: list[Category]
    slots: list[dt.datetime]
    cells: dict[tuple[dt.datetime, str], int]
    by_category: dict[str, int]
    by_slot: dict[dt.datetime, int]
    total: int
    faults: list[IncidentOut]
    complaints: list[IncidentOut]
    incidents: list[IncidentOut]
    checks: dict[int, SessionChecks] = {}
    check_lines: dict[str, CheckLine] = {}

    @property
    def stock_flagged(self) -> bool:
        """A session's closing card count does not reconcile with its start and movements."""
        return any(c.stock_flagged for c in self.checks.values())


class Frozen(msgspec.Struct, frozen=True, kw_only=True):
    """The figures a submission froze: counts per (slot, category), per category and in
    all, the people on duty and the incidents (by uid) the day had."""

    cells: list[tuple[dt.datetime, str, int]]
    by_category: dict[str, int]
    total: int
    on_duty: list[OnDuty]
    incidents: list[str]

    def cell_map(self) -> dict[tuple[dt.datetime, str], int]:
        """The counts by (slot start, category)."""
        return {(slot, code): n for slot, code, n in self.cells}

    def by_slot(self) -> dict[dt.datetime, int]:
        """The counts by slot start."""
        found: dict[dt.datetime, int] = {}
        for slot, _code, n in self.cells:
            found[slot] = found.get(slot, 0) + n
        return found


class JournalStep(msgspec.Struct, frozen=True, kw_only=True):
    """One step of a journal's history: ``submitted`` (with what it froze and, for a
    revision, the reason), ``returned`` (with the city's comment) or ``acknowledged``."""

    version: int
    action: str
    frozen: Frozen | None
    notes: str
    handover: str
    reason: str
    comment: str
    actor_id: int | None
    at: dt.datetime


class JournalRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A journal that was submitted at least once, with its history."""

    id: int
    status: str
    version: int
    notes: str
    handover: str
    steps: list[JournalStep]

    @property
    def submitted(self) -> JournalStep:
        """The latest submission."""
        return [s for s in self.steps if s.action == "submitted"][-1]
