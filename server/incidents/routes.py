"""Incident pages: the list with filters, filing one, and its detail with history and edits.

Every write is an op (``incident.create`` / ``incident.update``) applied through
:func:`server.web.forms.submit`; the rules live in :mod:`server.incidents.service`. The
forms are read in :mod:`server.incidents.forms`, the pages drawn in
:mod:`server.incidents.views`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server.auth.policy import Permission
from server.common.parsing import date_and_time, parse_id
from server.incidents import forms, ops, service, views
from server.messages import N_
from server.web.dependencies import AppSettings
from server.web.form_fields import Form
from server.web.forms import read_form, submit
from server.web.pages import SignedInRequest, page, translate, wants_fragment

READ = {"permission": Permission.READ_ALL}
WRITE = {"permission": Permission.FIELD_WRITE}
RESULTS_TARGET = "incident-results"


@get("/incidents", opt=READ)
async def incident_list(
    request: SignedInRequest,
    settings: AppSettings,
    site_id: FromQuery[str | None] = None,
    date_from: FromQuery[str | None] = None,
    date_to: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
) -> Template:
    """Incidents, newest first, filtered by site, dates of occurrence (JST) and status.

    An htmx request (the filter form) gets only the results; a full page otherwise. A
    filter that cannot be read is explained, and the list filtered by the others.
    """
    query = {"site_id": site_id, "date_from": date_from, "date_to": date_to, "status": status}
    filters, errors = read_form(request, query, forms.Filters, forms.FILTER_MESSAGES)
    if filters is None:
        readable = {name: text for name, text in query.items() if name not in errors}
        filters = read_form(request, readable, forms.Filters, {})[0] or forms.Filters()
    incidents = await service.search(
        now=views.now(),
        report_minutes=settings.field.incident_report_minutes,
        site_id=filters.site_id,
        date_from=filters.date_from,
        date_to=filters.date_to,
        status=filters.status,
    )
    context = {
        **await views.list_context(incidents),
        "filters": {name: text or "" for name, text in query.items()},
        "errors": errors,
    }
    partial = wants_fragment(request, RESULTS_TARGET)
    return page(request, "incidents/_results.html" if partial else "incidents/index.html", context)


@get("/incidents/new", opt=WRITE)
async def new_incident(
    request: SignedInRequest,
    site_id: FromQuery[str | None] = None,
    work_session_id: FromQuery[str | None] = None,
) -> Template:
    """The filing form, timed now (JST); ``?site_id=&work_session_id=`` prefill it.

    Its ``uid`` is made here, so submitting the same form twice files one incident.
    """
    day, clock = date_and_time(views.now())
    form = forms.NewIncidentForm(
        uid=str(uuid.uuid4()),
        site_id=(site_id or "").strip(),
        work_session_id=(work_session_id or "").strip(),
        severity="low",
        occurred_date=day,
        occurred_time=clock,
    )
    return await views.new_page(request, form)


@post("/incidents", opt=WRITE)
async def file_incident(
    request: SignedInRequest, data: Annotated[forms.NewIncidentForm, Form]
) -> Template | Redirect:
    """Files an incident (op ``incident.create``) and shows it; a refusal keeps the input."""
    filing, errors = read_form(request, data, forms.Filing, forms.FILING_MESSAGES)
    if filing is None:
        errors = forms.under_moment(errors, "occurred_at", ("occurred_date", "occurred_time"))
        return await views.new_page(request, data, errors, 400)
    op = ops.IncidentCreate(
        actor_id=request.user.staff_id, client_time=views.now(), payload=filing.payload()
    )
    applied, refused = await submit(request, op)
    if applied is None:
        return await views.new_page(request, data, refused, 409 if "uid" in refused else 400)
    return Redirect(path=f"/incidents/{applied.entity_id}", status_code=303)


@get("/incidents/{uid:str}", opt=READ)
async def incident_detail(
    request: SignedInRequest, uid: FromPath[str], settings: AppSettings
) -> Template:
    """One incident: every field, its edit history, and the edit form for field staff."""
    incident = await views.load(request, uid, settings.field.incident_report_minutes)
    return await views.detail_page(request, incident)


def _base_version(text: str) -> int:
    """The version the edit form was shown at; 0 when it cannot be read."""
    try:
        return parse_id(text)
    except ValueError:
        return 0


@post("/incidents/{uid:str}", opt=WRITE)
async def edit_incident(
    request: SignedInRequest,
    uid: FromPath[str],
    data: Annotated[forms.EditIncidentForm, Form],
    settings: AppSettings,
) -> Template | Redirect:
    """Saves the fields changed since the form was shown (op ``incident.update``).

    Only changed fields are sent, with ``base_version`` = the version the form showed, so an
    edit of other fields made meanwhile is kept and a clash on the same field is refused.
    """
    minutes = settings.field.incident_report_minutes
    incident = await views.load(request, uid, minutes)
    sent = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
    form = {**views.edit_values(incident), **sent}
    base_version = _base_version(data.base_version)
    if not 1 <= base_version <= incident.version:
        stale = N_("This form is out of date. Reload the page and try again.")
        return await views.detail_page(
            request, incident, form, {"_": translate(request, stale)}, 409
        )
    edit, errors = read_form(request, data, forms.Edit, forms.EDIT_MESSAGES)
    reported: forms.Reported = msgspec.UNSET
    try:
        reported = forms.reported_at(data)
    except ValueError:
        errors["reported_to_city_at"] = translate(request, forms.MOMENT_MESSAGE)
    if edit is None or errors:
        return await views.detail_page(request, incident, form, errors, 400)
    before = views.values_at(incident, await service.history(uid), base_version)
    changed = forms.changed_fields(edit, reported, before)
    if not changed:
        return Redirect(path=f"/incidents/{uid}", status_code=303)
    op = ops.IncidentUpdate(
        actor_id=request.user.staff_id,
        client_time=views.now(),
        base_version=base_version,
        payload=ops.UpdateIncident(uid=uid, **changed),
    )
    applied, refused = await submit(request, op)
    if applied is None:
        incident = await views.load(request, uid, minutes)
        return await views.detail_page(request, incident, form, refused, 400)
    return Redirect(path=f"/incidents/{uid}", status_code=303)


ROUTES = [incident_list, new_incident, file_incident, incident_detail, edit_incident]
