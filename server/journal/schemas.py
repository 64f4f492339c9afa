"""Shapes of a daily journal as compiled from the day's records."""

from __future__ import annotations

import datetime as dt

import msgspec

from server.headcounts.schemas import Category
from server.incidents.schemas import IncidentOut
from server.sites.schemas import SiteOut
from server.work_sessions.schemas import WorkSessionOut

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
