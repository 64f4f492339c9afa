"""What each input field is called on pages (English message ids), one list for every
form, error page and review card."""

from __future__ import annotations

from server.messages import N_

FIELD_LABELS: dict[str, str] = {
    "name_ja": N_("Name (Japanese)"),
    "name_en": N_("Name (English)"),
    "address": N_("Address"),
    "venue_kind": N_("Kind of venue"),
    "venue_service": N_("What is done there"),
    "notes": N_("Notes"),
    "site_id": N_("Site"),
    "work_date": N_("Work date"),
    "planned_start": N_("Planned start"),
    "planned_end": N_("Planned end"),
    "staff_id": N_("Person"),
    "duty": N_("Duty"),
    "at": N_("Time"),
    "slot_start": N_("Time slot"),
    "category": N_("Category"),
    "delta": N_("Change in count"),
    "site_group": N_("Counted at"),
    "label_ja": N_("Label (Japanese)"),
    "label_en": N_("Label (English)"),
    "code": N_("Category"),
    "active": N_("Counted"),
    "severity": N_("Severity"),
    "occurred_at": N_("Occurred at"),
    "description": N_("What happened"),
    "immediate_action": N_("Immediate action"),
    "reported_to_city_at": N_("Reported to the city at"),
    "recurrence_prevention": N_("Recurrence prevention"),
    "status": N_("Status"),
    "work_session_id": N_("Work session number"),
    "role": N_("Role"),
    "display_name": N_("Name"),
    "occurred_date": N_("Date"),
    "occurred_time": N_("Time"),
    "reported_date": N_("Reported to the city at"),
    "reported_time": N_("Reported to the city at"),
    "override_reason": N_("Reason for starting on another day"),
    "reason": N_("Reason"),
}

# What an outreach venue does (出張申請受付 or 出張申請サポート): it sets what is counted there.
VENUE_SERVICE_LABELS: dict[str, str] = {
    "reception": N_("Applications taken (card mailed)"),
    "support": N_("Application support (card collected later)"),
}

# The groups of headcount categories, in the order pages show them.
SITE_GROUP_LABELS: dict[str, str] = {
    "outreach": N_("Outreach venues: applications taken (card mailed)"),
    "support": N_("Outreach venues: application support"),
    "office": N_("Counters and branch offices"),
}
