"""Incident pages: the list with filters, filing one, and its detail with history and edits.

Every write is an op (``incident.create`` / ``incident.update``) applied through
:func:`server.web.forms.submit`; the rules live in :mod:`server.incidents.service`. Times are
entered and shown in Japan time (JST).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from server.auth.policy import Permission, allows
from server.auth.schemas import Identity
from server.common.clock import JST
from server.common.labels import FIELD_LABELS
from server.common.text import INT32_MAX, FreeText, Uuid, has_control
from server.incidents import service
from server.incidents.schemas import (
    CATEGORY_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    STATUS_ORDER,
    IncidentOut,
    Revision,
)
from server.messages import N_
from server.settings import Settings
from server.sites import service as sites
from server.staff import service as staff
from server.sync import ops
from server.web.form_fields import FormChoice, FormDate, FormId, FormTime
from server.web.forms import submit
from server.web.pages import page, translate

READ = {"permission": Permission.READ_ALL}
WRITE = {"permission": Permission.FIELD_WRITE}
Form = Body(media_type=RequestEncodingType.URL_ENCODED)
DATETIME_FIELDS = frozenset({"occurred_at", "reported_to_city_at"})
TEXT_FIELDS = ("description", "immediate_action", "recurrence_prevention")
CHOICES = {"category": CATEGORY_LABELS, "severity": SEVERITY_LABELS, "status": STATUS_LABELS}
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
EDIT_FIELDS = frozenset(
    {
        "category",
        "severity",
        "description",
        "immediate_action",
        "reported_to_city_at",
        "recurrence_prevention",
        "status",
    }
)


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


# --- Times -------------------------------------------------------------------------------


def as_jst(value: dt.datetime) -> dt.datetime:
    """``value`` in JST (a naive value is taken as UTC, as the database stores it)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(JST)


def show_time(value: dt.datetime | str | None) -> str:
    """A time as pages show it: ``2025-04-01 09:30`` in JST, or an empty string."""
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return show_time(parsed)
    return "" if value is None else as_jst(value).strftime("%Y-%m-%d %H:%M")


def date_and_time(value: dt.datetime | None) -> tuple[str, str]:
    """Values for a date input and an ``HH:MM`` time input, in JST."""
    if value is None:
        return "", ""
    local = as_jst(value)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M")


def parse_jst(day: str, clock: str) -> dt.datetime:
    """A JST date (``YYYY-MM-DD``) and time (``HH:MM``) as an aware datetime.

    Raises:
        ValueError: Either part is missing or malformed.
    """
    date = dt.date.fromisoformat(day.strip())
    hours, _, minutes = clock.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(clock)
    return dt.datetime.combine(date, dt.time(int(hours), int(minutes)), JST)


def parse_date(value: str | None) -> dt.date | None:
    """A ``YYYY-MM-DD`` filter value, or None when empty.

    Raises:
        ValueError: Malformed.
    """
    return dt.date.fromisoformat(value.strip()) if value and value.strip() else None


def parse_id(value: str | None) -> int | None:
    """A positive whole number from a form or query, or None when empty.

    Raises:
        ValueError: Not a whole number from 1 to 2^31-1 (what the id columns hold).
    """
    if value is None or not value.strip():
        return None
    number = int(value.strip())
    if not 1 <= number <= INT32_MAX:
        raise ValueError(value)
    return number


def clean_text(value: str) -> str:
    """Form text as the service keeps it: newlines as ``\\n``, no outer blanks."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


# --- Showing values ----------------------------------------------------------------------


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _helpers(request: Request[Any, Identity, Any]) -> dict[str, Any]:
    """What every incident template uses."""
    user = request.scope.get("user")
    return {
        "category_labels": CATEGORY_LABELS,
        "severity_labels": SEVERITY_LABELS,
        "status_labels": STATUS_LABELS,
        "field_labels": FIELD_LABELS,
        "show_time": show_time,
        "can_write": user is not None and allows(Permission.FIELD_WRITE, user.role),
    }


def _with_vary_hx(response: Template) -> Template:
    """Mark a response whose body depends on the ``HX-Request`` header."""
    vary = response.headers.get("Vary", "Accept-Language, Cookie")
    response.headers["Vary"] = f"{vary}, HX-Request"
    return response


def _translated(request: Request[Any, Any, Any], errors: dict[str, str]) -> dict[str, str]:
    """The page's own error messages (English ids) in the request's language."""
    return {name: translate(request, message) for name, message in errors.items()}


def _place_errors(errors: dict[str, str], shown: frozenset[str]) -> dict[str, str]:
    """Errors keyed by a field the form shows, or by ``"_"`` (above the form)."""
    placed: dict[str, str] = {}
    for name, message in errors.items():
        key = name if name in shown else "_"
        placed[key] = f"{placed[key]} {message}" if key in placed else message
    return placed


# --- List --------------------------------------------------------------------------------


@get("/incidents", opt=READ)
async def incident_list(
    request: Request[Any, Identity, Any],
    site_id: FromQuery[str | None] = None,
    date_from: FromQuery[str | None] = None,
    date_to: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
) -> Template:
    """Incidents, newest first, filtered by site, dates of occurrence (JST) and status.

    An htmx request (the filter form) gets only the results; a full page otherwise.
    """
    settings = _settings(request)
    errors: dict[str, str] = {}
    filters: dict[str, Any] = {}
    try:
        filters["site_id"] = parse_id(site_id)
    except ValueError:
        errors["site_id"] = N_("Choose a site.")
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        try:
            filters[name] = parse_date(value)
        except ValueError:
            errors[name] = N_("Enter a valid date.")
    if status and status not in STATUS_LABELS:
        errors["status"] = N_("Choose a status.")
    else:
        filters["status"] = status or None
    incidents = await service.search(
        now=_now(), report_minutes=settings.field.incident_report_minutes, **filters
    )
    context = {
        **_helpers(request),
        "incidents": incidents,
        "sites": await sites.list_sites(include_retired=True),
        "filters": {
            "site_id": site_id or "",
            "date_from": date_from or "",
            "date_to": date_to or "",
            "status": status or "",
        },
        "errors": _translated(request, errors),
    }
    partial = "hx-request" in request.headers and (
        "hx-history-restore-request" not in request.headers
    )
    template = "incidents/_results.html" if partial else "incidents/index.html"
    return _with_vary_hx(page(request, template, context))


# --- Filing ------------------------------------------------------------------------------


async def _new_page(
    request: Request[Any, Identity, Any],
    form: NewIncidentForm,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    context = {
        **_helpers(request),
        "form": form,
        "sites": await sites.list_sites(),
        "errors": _place_errors(errors or {}, CREATE_FIELDS),
        "already_filed": "uid" in (errors or {}),
    }
    return page(request, "incidents/new.html", context, status_code=status_code)


@get("/incidents/new", opt=WRITE)
async def new_incident(
    request: Request[Any, Identity, Any],
    site_id: FromQuery[str | None] = None,
    work_session_id: FromQuery[str | None] = None,
) -> Template:
    """The filing form, timed now (JST); ``?site_id=&work_session_id=`` prefill it.

    Its ``uid`` is made here, so submitting the same form twice files one incident.
    """
    day, clock = date_and_time(_now())
    form = NewIncidentForm(
        uid=str(uuid.uuid4()),
        site_id=(site_id or "").strip(),
        work_session_id=(work_session_id or "").strip(),
        severity="low",
        occurred_date=day,
        occurred_time=clock,
    )
    return await _new_page(request, form)


@post("/incidents", opt=WRITE)
async def file_incident(
    request: Request[Any, Identity, Any], data: Annotated[NewIncidentForm, Form]
) -> Template | Redirect:
    """Files an incident (op ``incident.create``) and shows it; a refusal keeps the input."""
    errors: dict[str, str] = {}
    site_id = work_session_id = None
    try:
        site_id = parse_id(data.site_id)
    except ValueError:
        site_id = None
    if site_id is None:
        errors["site_id"] = N_("Choose a site.")
    try:
        work_session_id = parse_id(data.work_session_id)
    except ValueError:
        errors["work_session_id"] = N_("Enter a number, or leave this empty.")
    if data.category not in CATEGORY_LABELS:
        errors["category"] = N_("Choose a category.")
    if data.severity not in SEVERITY_LABELS:
        errors["severity"] = N_("Choose a severity.")
    occurred_at = None
    try:
        occurred_at = parse_jst(data.occurred_date, data.occurred_time)
    except ValueError:
        errors["occurred_at"] = N_("Enter a date and a time (HH:MM).")
    if errors or site_id is None or occurred_at is None:
        return await _new_page(request, data, _translated(request, errors), 400)
    op = ops.IncidentCreate(
        actor_id=request.user.staff_id,
        client_time=_now(),
        payload=ops.CreateIncident(
            uid=data.uid.strip(),
            site_id=site_id,
            work_session_id=work_session_id,
            category=data.category,  # type: ignore[arg-type]  # checked above
            severity=data.severity,  # type: ignore[arg-type]  # checked above
            occurred_at=occurred_at,
            description=clean_text(data.description),
            immediate_action=clean_text(data.immediate_action),
        ),
    )
    applied, refused = await submit(request, op)
    if applied is None:
        return await _new_page(request, data, refused, 409 if "uid" in refused else 400)
    return Redirect(path=f"/incidents/{applied.entity_id}", status_code=303)


# --- Detail, history, edits --------------------------------------------------------------


def _value(name: str, value: Any) -> Any:
    """A field's value as history stores it: datetimes as aware UTC, None kept."""
    if name in DATETIME_FIELDS and isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return as_jst(value).astimezone(dt.UTC)
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


def show_value(name: str, value: Any) -> str | None:
    """A history value for display: a label id, a JST time, the text, or None when empty."""
    if value is None or value == "":
        return None
    if name in CHOICES:
        return CHOICES[name].get(str(value), str(value))
    if name in DATETIME_FIELDS:
        return show_time(value if isinstance(value, str | dt.datetime) else str(value))
    return str(value)


def _history_rows(revisions: list[Revision], names: dict[int, str]) -> list[dict[str, Any]]:
    rows = []
    for revision in revisions:
        changes = [
            {
                "field": name,
                "old": show_value(name, old),
                "new": show_value(name, new),
                "translate": name in CHOICES,
            }
            for name, (old, new) in revision.changes.items()
        ]
        who = names.get(revision.actor_id or 0)
        rows.append(
            {
                "version": revision.version,
                "at": show_time(revision.at),
                "actor_id": revision.actor_id,
                "who": who,
                "changes": changes,
            }
        )
    return rows


def _edit_values(incident: IncidentOut) -> dict[str, Any]:
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


def _offline_base(request: Request[Any, Identity, Any], incident: IncidentOut) -> dict[str, Any]:
    """What the tablet compares the edit form with, to send only the changed fields.

    The values are as the form shows them (the reported time to the minute, in JST), with
    the version and render time the service worker needs (``static/js/incident-edit.js``).
    """
    day, clock = date_and_time(incident.reported_to_city_at)
    return {
        "version": incident.version,
        "actor_id": request.user.staff_id,
        "rendered_at": _now().isoformat(),
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


async def _load(request: Request[Any, Identity, Any], uid: str) -> IncidentOut:
    # No stored uid holds a control character, and PostgreSQL refuses a NUL in a query.
    incident = None
    if not has_control(uid):
        incident = await service.get(
            uid, now=_now(), report_minutes=_settings(request).field.incident_report_minutes
        )
    if incident is None:
        raise NotFoundException(translate(request, N_("No such incident.")))
    return incident


async def _detail_page(
    request: Request[Any, Identity, Any],
    incident: IncidentOut,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    revisions = await service.history(incident.uid)
    names = {person.id: person.display_name for person in await staff.list_staff()}
    context = {
        **_helpers(request),
        "incident": incident,
        "history": _history_rows(revisions, names),
        "form": form or _edit_values(incident),
        "status_choices": STATUS_ORDER[STATUS_ORDER.index(incident.status) :],
        "errors": _place_errors(errors or {}, EDIT_FIELDS),
        "offline_base": _offline_base(request, incident),
    }
    context["editable"] = context["can_write"] and incident.status != "closed"
    return page(request, "incidents/detail.html", context, status_code=status_code)


@get("/incidents/{uid:str}", opt=READ)
async def incident_detail(request: Request[Any, Identity, Any], uid: FromPath[str]) -> Template:
    """One incident: every field, its edit history, and the edit form for field staff."""
    return await _detail_page(request, await _load(request, uid))


def _changed_fields(
    data: EditIncidentForm, before: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    """The fields the person changed from ``before`` (parse failures go to ``errors``)."""
    changed: dict[str, Any] = {}
    for name in ("category", "severity", "status"):
        value = getattr(data, name)
        if value is None or value == before[name]:
            continue
        if value not in CHOICES[name]:
            errors[name] = N_("Choose one of the options.")
        else:
            changed[name] = value
    for name in TEXT_FIELDS:
        value = getattr(data, name)
        if value is not None and clean_text(value) != clean_text(before[name] or ""):
            changed[name] = clean_text(value)
    if data.reported_date is not None or data.reported_time is not None:
        day, clock = (data.reported_date or "").strip(), (data.reported_time or "").strip()
        if day or clock:
            try:
                reported: dt.datetime | None = parse_jst(day, clock)
            except ValueError:
                errors["reported_to_city_at"] = N_("Enter a date and a time (HH:MM).")
                reported = None
        else:
            reported = None
        if "reported_to_city_at" not in errors and show_time(reported) != show_time(
            before["reported_to_city_at"]
        ):
            changed["reported_to_city_at"] = reported
    return changed


@post("/incidents/{uid:str}", opt=WRITE)
async def edit_incident(
    request: Request[Any, Identity, Any],
    uid: FromPath[str],
    data: Annotated[EditIncidentForm, Form],
) -> Template | Redirect:
    """Saves the fields changed since the form was shown (op ``incident.update``).

    Only changed fields are sent, with ``base_version`` = the version the form showed, so an
    edit of other fields made meanwhile is kept and a clash on the same field is refused.
    """
    incident = await _load(request, uid)
    sent = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
    form = {**_edit_values(incident), **sent}
    try:
        base_version = int(data.base_version)
    except ValueError:
        base_version = 0
    errors: dict[str, str] = {}
    if not 1 <= base_version <= incident.version:
        errors["_"] = N_("This form is out of date. Reload the page and try again.")
        return await _detail_page(request, incident, form, _translated(request, errors), 409)
    before = values_at(incident, await service.history(uid), base_version)
    changed = _changed_fields(data, before, errors)
    if errors:
        return await _detail_page(request, incident, form, _translated(request, errors), 400)
    if not changed:
        return Redirect(path=f"/incidents/{uid}", status_code=303)
    op = ops.IncidentUpdate(
        actor_id=request.user.staff_id,
        client_time=_now(),
        base_version=base_version,
        payload=ops.UpdateIncident(uid=uid, **changed),
    )
    applied, refused = await submit(request, op)
    if applied is None:
        return await _detail_page(request, await _load(request, uid), form, refused, 400)
    return Redirect(path=f"/incidents/{uid}", status_code=303)


ROUTES = [incident_list, new_incident, file_incident, incident_detail, edit_incident]
