"""Incident shapes and labels."""

from __future__ import annotations

import datetime as dt

import msgspec

from server.messages import N_

CATEGORY_LABELS = {
    "complaint": N_("Complaint"),
    "system_failure": N_("System failure"),
    "equipment_failure": N_("Equipment failure"),
    "accident_injury": N_("Accident or injury"),
    "personal_information": N_("Personal information"),
    "unreasonable_demand": N_("Unreasonable demand or organised crime"),
    "lost_property": N_("Lost property"),
    "other": N_("Other"),
}
SEVERITY_LABELS = {
    "low": N_("Low"),
    "medium": N_("Medium"),
    "high": N_("High"),
    "critical": N_("Critical"),
}
STATUS_LABELS = {
    "open": N_("Open"),
    "reported": N_("Reported to the city"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
}
STATUS_ORDER = ("open", "reported", "resolved", "closed")


class IncidentOut(msgspec.Struct, frozen=True, kw_only=True):
    """An incident as pages show it."""

    id: int
    uid: str
    site_id: int
    site_name_ja: str
    site_name_en: str
    work_session_id: int | None = None
    category: str
    severity: str
    occurred_at: dt.datetime
    description: str
    immediate_action: str
    reported_to_city_at: dt.datetime | None = None
    recurrence_prevention: str
    status: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    overdue: bool = False

    def site_name(self, language: str) -> str:
        """The site's name in ``language``."""
        return self.site_name_en if language == "en" else self.site_name_ja


class Revision(msgspec.Struct, frozen=True, kw_only=True):
    """One edit of an incident."""

    version: int
    changes: dict[str, list[object]]
    actor_id: int | None
    at: dt.datetime
