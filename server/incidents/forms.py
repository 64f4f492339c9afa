"""The incident forms and the list's filters: as the browser sends them, and read.

Times are entered in Japan time (JST) as a date and an ``HH:MM`` time; a refusal of either
part is shown once, under the moment they make (``occurred_at``, ``reported_to_city_at``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import msgspec

from server.common.parsing import at_jst, parse_clock, parse_date, show_time
from server.common.text import FreeText, Uuid
from server.incidents.ops import CreateIncident, IncidentCategory, IncidentStatus, Severity
from server.messages import N_
from server.web.form_fields import FormChoice, FormDate, FormId, FormTime

TEXT_FIELDS = ("description", "immediate_action", "recurrence_prevention")
CHOICE_FIELDS = ("category", "severity", "status")
MOMENT_MESSAGE: Final = N_("Enter a date and a time (HH:MM).")
# Fields the forms show: a refusal naming another field (``uid``) is shown above the form.
CREATE_FIELDS = frozenset(
    {
        "site_id",
        "work_session_id",
        "category",
        "severity",
        "occurred_at",
        "description",
        "immediate_action",
    }
)
EDIT_FIELDS = frozenset({*TEXT_FIELDS, *CHOICE_FIELDS, "reported_to_city_at"})


def clean_text(value: str) -> str:
    """Form text as the service keeps it: newlines as ``\\n``, no outer blanks."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


class NewIncidentForm(msgspec.Struct, kw_only=True):
    """The filing form (every value as typed)."""

    # Made by GET /incidents/new (or tap.js offline): a UUID, never typed, never anything else.
    uid: Uuid
    site_id: FormId = ""
    work_session_id: FormId = ""
    category: FormChoice = ""
    severity: FormChoice = ""
    occurred_date: FormDate = ""
    occurred_time: FormTime = ""
    description: FreeText = ""
    immediate_action: FreeText = ""


class Filing(msgspec.Struct, frozen=True, kw_only=True):
    """The filing form, read."""

    uid: str
    site_id: int
    work_session_id: int | None
    category: IncidentCategory
    severity: Severity
    occurred_date: dt.date
    occurred_time: dt.time
    description: str
    immediate_action: str

    def payload(self) -> CreateIncident:
        """The ``incident.create`` payload: the moment in JST, the texts cleaned."""
        return CreateIncident(
            uid=self.uid,
            site_id=self.site_id,
            work_session_id=self.work_session_id,
            category=self.category,
            severity=self.severity,
            occurred_at=at_jst(self.occurred_date, self.occurred_time),
            description=clean_text(self.description),
            immediate_action=clean_text(self.immediate_action),
        )


FILING_MESSAGES = {
    "site_id": N_("Choose a site."),
    "work_session_id": N_("Choose one of today's work sessions, or none."),
    "category": N_("Choose a category."),
    "severity": N_("Choose a severity."),
    "occurred_date": MOMENT_MESSAGE,
    "occurred_time": MOMENT_MESSAGE,
}


def under_moment(errors: dict[str, str], moment: str, parts: tuple[str, str]) -> dict[str, str]:
    """``errors`` with a refused date or time part shown once, under ``moment``."""
    placed = {name: message for name, message in errors.items() if name not in parts}
    for part in parts:
        if part in errors:
            placed[moment] = errors[part]
    return placed


class EditIncidentForm(msgspec.Struct, kw_only=True):
    """The edit form; a field left out of the request (None) is left alone."""

    base_version: FormId = ""
    category: FormChoice | None = None
    severity: FormChoice | None = None
    description: FreeText | None = None
    immediate_action: FreeText | None = None
    reported_date: FormDate | None = None
    reported_time: FormTime | None = None
    recurrence_prevention: FreeText | None = None
    status: FormChoice | None = None


class Edit(msgspec.Struct, frozen=True, kw_only=True):
    """The edit form's choices and texts, read (None: not sent, left alone)."""

    category: IncidentCategory | None
    severity: Severity | None
    status: IncidentStatus | None
    description: str | None
    immediate_action: str | None
    recurrence_prevention: str | None


EDIT_MESSAGES = dict.fromkeys(CHOICE_FIELDS, N_("Choose one of the options."))
Reported = dt.datetime | None | msgspec.UnsetType


def reported_at(form: EditIncidentForm) -> Reported:
    """The reported time the edit form sets: a moment, None (both parts cleared), or
    ``UNSET`` (neither part sent: left as it is).

    Raises:
        ValueError: A part is filled in and the two do not make a moment.
    """
    if form.reported_date is None and form.reported_time is None:
        return msgspec.UNSET
    day, clock = (form.reported_date or "").strip(), (form.reported_time or "").strip()
    if not (day or clock):
        return None
    return at_jst(parse_date(day), parse_clock(clock))


def changed_fields(edit: Edit, reported: Reported, before: dict[str, Any]) -> dict[str, Any]:
    """The fields the person changed from ``before`` (the values the form was shown with)."""
    changed: dict[str, Any] = {}
    for name in CHOICE_FIELDS:
        value = getattr(edit, name)
        if value is not None and value != before[name]:
            changed[name] = value
    for name in TEXT_FIELDS:
        value = getattr(edit, name)
        if value is not None and clean_text(value) != clean_text(before[name] or ""):
            changed[name] = clean_text(value)
    if reported is not msgspec.UNSET and (
        show_time(reported) != show_time(before["reported_to_city_at"])
    ):
        changed["reported_to_city_at"] = reported
    return changed


class Filters(msgspec.Struct, frozen=True, kw_only=True):
    """The list's filters, read (None: not filtered on)."""

    site_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    status: IncidentStatus | None = None


FILTER_MESSAGES = {
    "site_id": N_("Choose a site."),
    "date_from": N_("Enter a valid date."),
    "date_to": N_("Enter a valid date."),
    "status": N_("Choose a status."),
}
