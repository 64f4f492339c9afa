"""What the incident pages show: the list, the filing form, and one incident with its edit
history and edit form. Times are shown in Japan time (JST)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request
from litestar.response import Template

from server.auth.policy import Permission, allows
from server.common.dates import long_moment
from server.common.labels import FIELD_LABELS
from server.common.parsing import date_and_time, hhmm, in_jst, parse_id, today_jst
from server.common.text import has_control
from server.incidents import service
from server.incidents.forms import CREATE_FIELDS, EDIT_FIELDS, NewIncidentForm, clean_text
from server.incidents.schemas import (
    CATEGORY_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    STATUS_ORDER,
    IncidentOut,
    Revision,
)
from server.messages import N_
from server.sites import service as sites
from server.staff import service as staff
from server.web.forms import on_form
from server.web.pages import SignedInRequest, found, page, request_language
from server.work_sessions import service as work_sessions
from server.work_sessions.schemas import WorkSessionOut

DATETIME_FIELDS = frozenset({"occurred_at", "reported_to_city_at"})
CHOICES = {"category": CATEGORY_LABELS, "severity": SEVERITY_LABELS, "status": STATUS_LABELS}
LABELS = {
    "category_labels": CATEGORY_LABELS,
    "severity_labels": SEVERITY_LABELS,
    "status_labels": STATUS_LABELS,
    "field_labels": FIELD_LABELS,
    "hhmm": hhmm,
}


def now() -> dt.datetime:
    """The time now, in UTC."""
    return dt.datetime.now(dt.UTC)


async def list_context(incidents: list[IncidentOut]) -> dict[str, Any]:
    """The list's rows and what its filter form offers."""
    return {
        **LABELS,
        "incidents": incidents,
        "sites": await sites.list_sites(include_retired=True),
    }


async def new_page(
    request: SignedInRequest,
    form: NewIncidentForm,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    """The filing form, with the refusals beside their fields."""
    context = {
        **LABELS,
        "form": form,
        "sites": await sites.list_sites(),
        "sessions": await session_choices(form.work_session_id),
        "today": today_jst(),
        "errors": on_form(errors or {}, CREATE_FIELDS),
        "already_filed": "uid" in (errors or {}),
    }
    return page(request, "incidents/new.html", context, status_code=status_code)


async def session_choices(chosen: str) -> list[WorkSessionOut]:
    """Today's work sessions (JST) at every site, for the form to pick from by site and
    hours; the one the form came from (a tablet's page) too, whatever its day."""
    day = today_jst()
    sessions = await work_sessions.search(date_from=day, date_to=day)
    try:
        chosen_id = parse_id(chosen)
    except ValueError:
        chosen_id = None  # nothing, or not an id: the form's own check says so
    if chosen_id is not None and chosen_id not in {s.id for s in sessions}:
        earlier = await work_sessions.get(chosen_id)
        sessions += [earlier] if earlier is not None else []
    return sorted(sessions, key=lambda s: (s.site_id, s.work_date, s.planned_start))


async def load(request: Request[Any, Any, Any], uid: str, report_minutes: int) -> IncidentOut:
    """The incident, or a 404."""
    # No stored uid holds a control character, and PostgreSQL refuses a NUL in a query.
    incident = None
    if not has_control(uid):
        incident = await service.get(uid, now=now(), report_minutes=report_minutes)
    return found(request, incident, N_("No such incident."))


def _value(name: str, value: Any) -> Any:
    """A field's value as history stores it: datetimes as aware UTC, None kept."""
    if name in DATETIME_FIELDS and isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return in_jst(value).astimezone(dt.UTC)
    return value


def values_at(incident: IncidentOut, revisions: list[Revision], version: int) -> dict[str, Any]:
    """The incident's editable values as they were at ``version`` (undoing later edits)."""
    values = {name: _value(name, getattr(incident, name)) for name in service.FIELDS}
    for revision in sorted(revisions, key=lambda r: r.version, reverse=True):
        if revision.version <= version:
            break
        for name, (old, _new) in revision.changes.items():
            if name in values:
                values[name] = _value(name, old)
    return values


def show_value(name: str, value: Any, language: str) -> str | None:
    """A history value for display: a label id, a JST time, the text, or None when empty."""
    if value is None or value == "":
        return None
    if name in CHOICES:
        return CHOICES[name].get(str(value), str(value))
    if name in DATETIME_FIELDS:
        return long_moment(value if isinstance(value, str | dt.datetime) else str(value), language)
    return str(value)


def _history_rows(
    revisions: list[Revision], names: dict[int, str], language: str
) -> list[dict[str, Any]]:
    rows = []
    for revision in revisions:
        changes = [
            {
                "field": name,
                "old": show_value(name, old, language),
                "new": show_value(name, new, language),
                "translate": name in CHOICES,
            }
            for name, (old, new) in revision.changes.items()
        ]
        rows.append(
            {
                "version": revision.version,
                "at": long_moment(revision.at, language),
                "actor_id": revision.actor_id,
                "who": names.get(revision.actor_id or 0),
                "changes": changes,
            }
        )
    return rows


def edit_values(incident: IncidentOut) -> dict[str, Any]:
    """The edit form filled from the incident as it is now."""
    reported_date, reported_time = date_and_time(incident.reported_to_city_at)
    return {
        "base_version": str(incident.version),
        "category": incident.category,
        "severity": incident.severity,
        "description": incident.description,
        "immediate_action": incident.immediate_action,
        "reported_date": reported_date,
        "reported_time": reported_time,
        "recurrence_prevention": incident.recurrence_prevention,
        "status": incident.status,
    }


def _offline_base(request: SignedInRequest, incident: IncidentOut) -> dict[str, Any]:
    """What the tablet compares the edit form with, to send only the changed fields.

    The values are as the form shows them (the reported time to the minute, in JST), with
    the version and render time the service worker needs (``static/js/incident-edit.js``).
    """
    day, clock = date_and_time(incident.reported_to_city_at)
    return {
        "version": incident.version,
        "actor_id": request.user.staff_id,
        "rendered_at": now().isoformat(),
        "values": {
            "category": incident.category,
            "severity": incident.severity,
            "description": clean_text(incident.description),
            "immediate_action": clean_text(incident.immediate_action),
            "reported_to_city_at": f"{day}T{clock}:00+09:00" if day else None,
            "recurrence_prevention": clean_text(incident.recurrence_prevention or ""),
            "status": incident.status,
        },
    }


async def detail_page(
    request: SignedInRequest,
    incident: IncidentOut,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    """One incident, its history, and (for field staff, until it is closed) the edit form."""
    revisions = await service.history(incident.uid)
    names = {person.id: person.display_name for person in await staff.list_staff()}
    context = {
        **LABELS,
        "incident": incident,
        "session": (
            await work_sessions.get(incident.work_session_id)
            if incident.work_session_id is not None
            else None
        ),
        "history": _history_rows(revisions, names, request_language(request)),
        "form": form or edit_values(incident),
        "status_choices": STATUS_ORDER[STATUS_ORDER.index(incident.status) :],
        "errors": on_form(errors or {}, EDIT_FIELDS),
        "offline_base": _offline_base(request, incident),
        "editable": allows(Permission.FIELD_WRITE, request.user.role)
        and incident.status != "closed",
    }
    return page(request, "incidents/detail.html", context, status_code=status_code)
