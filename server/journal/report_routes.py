"""An incident's report (事故・トラブル報告書): its page, drafted from the incident's record
until first submitted; its workflow (submitted, revised with a reason, returned or
acknowledged by the city); and the report as PDF, XLSX and CSV."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server.auth.policy import Permission
from server.common import exports
from server.common.clock import JST
from server.common.parsing import hhmm, in_jst
from server.common.text import FreeText
from server.incidents import service as incidents
from server.incidents.schemas import CATEGORY_LABELS, SEVERITY_LABELS, IncidentOut
from server.journal import report_files, report_ops, service
from server.journal.incident_report import CHANGED
from server.journal.report_forms import ReportForm, read_report, timeline_text
from server.journal.report_schemas import (
    DEADLINE_LABELS,
    DEADLINE_STATES,
    HARM_LABELS,
    PUBLICATION_LABELS,
    STATUS_LABELS,
    deadlines,
)
from server.messages import N_
from server.settings import Settings
from server.staff import service as staff
from server.web.dependencies import AppSettings
from server.web.form_fields import Form, FormId
from server.web.forms import submit, submit_form
from server.web.pages import SignedInRequest, found, page, render, request_language, translate

READ = {"permission": Permission.READ_ALL}
REVIEW_MESSAGES = {"version": CHANGED}


class ReviewForm(msgspec.Struct):
    """The city's forms: the version read, and the comment of a return."""

    version: FormId = ""
    comment: FreeText = ""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _incident(request: SignedInRequest, uid: str, settings: Settings) -> IncidentOut:
    found_one = await incidents.get(
        uid, now=_now(), report_minutes=settings.field.incident_report_minutes
    )
    return found(request, found_one, N_("No such incident."))


async def _view(request: SignedInRequest, uid: str, settings: Settings) -> dict[str, Any]:
    """What the report page (and its files) show: the report as submitted last, or the
    draft from the incident's record, with the Commission's deadlines where they apply."""
    incident = await _incident(request, uid, settings)
    record = await service.report_record(incident.id)
    content = record.content if record else service.report_draft(incident)
    day = in_jst(incident.occurred_at).date()
    return {
        "incident": incident,
        "record": record,
        "content": content,
        "day": day,
        "deadlines": deadlines(incident.category, day, content, in_jst(_now()).date()),
        "people": {p.id: p.display_name for p in await staff.list_staff()} if record else {},
        "lang": request_language(request),
        "hhmm": hhmm,
        "jst": JST,
        "incident_labels": CATEGORY_LABELS,
        "severity_labels": SEVERITY_LABELS,
        "harm_labels": HARM_LABELS,
        "publication_labels": PUBLICATION_LABELS,
        "status_labels": STATUS_LABELS,
        "deadline_labels": DEADLINE_LABELS,
        "deadline_states": DEADLINE_STATES,
    }


async def _page(
    request: SignedInRequest,
    uid: FromPath[str],
    settings: Settings,
    errors: dict[str, str] | None = None,
    form: ReportForm | None = None,
    review: ReviewForm | None = None,
) -> Template:
    context = await _view(request, uid, settings)
    content = context["content"]
    if form is None:
        values = msgspec.structs.asdict(content)
        values["timeline"] = timeline_text(content.timeline, context["day"])
        values["persons"] = "" if content.persons is None else str(content.persons)
        values["malicious"] = "yes" if content.malicious else ""
        for name in ("discovered_on", "prompt_reported_on", "final_reported_on"):
            values[name] = values[name].isoformat() if values[name] else ""
        version = context["record"].version if context["record"] else 0
        form = msgspec.convert({**values, "base_version": str(version)}, ReportForm)
    context.update(form=form, review=review or ReviewForm(), errors=errors or {})
    return page(request, "journal/report.html", context, status_code=422 if errors else 200)


@get("/incidents/{uid:str}/report", opt=READ)
async def report_page(
    request: SignedInRequest, uid: FromPath[str], settings: AppSettings
) -> Template:
    """The incident's report in the published order, with its workflow and history."""
    return await _page(request, uid, settings)


@post("/incidents/{uid:str}/report/submit", opt={"permission": Permission.SUBMIT_JOURNAL})
async def submit_report(
    request: SignedInRequest,
    uid: FromPath[str],
    settings: AppSettings,
    data: Annotated[ReportForm, Form],
) -> Template | Redirect:
    """Submits the report (op ``incident_report.submit``), or revises it with a reason."""
    incident = await _incident(request, uid, settings)
    payload, errors = read_report(request, data, incident.uid, in_jst(incident.occurred_at).date())
    if payload is not None:
        _, errors = await submit(request, report_ops.ReportSubmit(payload=payload))
    if errors:
        return await _page(request, uid, settings, errors, data)
    return Redirect(f"/incidents/{uid}/report", status_code=303)


async def _review(
    request: SignedInRequest, uid: str, settings: Settings, data: ReviewForm, op: type[Any]
) -> Template | Redirect:
    applied, errors = await submit_form(
        request, data, report_ops.ReviewReport, REVIEW_MESSAGES, op, uid=uid
    )
    if applied is None:
        return await _page(request, uid, settings, errors, review=data)
    return Redirect(f"/incidents/{uid}/report", status_code=303)


@post("/incidents/{uid:str}/report/acknowledge", opt={"permission": Permission.ACKNOWLEDGE})
async def acknowledge_report(
    request: SignedInRequest,
    uid: FromPath[str],
    settings: AppSettings,
    data: Annotated[ReviewForm, Form],
) -> Template | Redirect:
    """The city acknowledges the submitted report (op ``incident_report.acknowledge``)."""
    return await _review(request, uid, settings, data, report_ops.ReportAcknowledge)


@post("/incidents/{uid:str}/report/return", opt={"permission": Permission.ACKNOWLEDGE})
async def return_report(
    request: SignedInRequest,
    uid: FromPath[str],
    settings: AppSettings,
    data: Annotated[ReviewForm, Form],
) -> Template | Redirect:
    """The city returns the submitted report with a comment (op ``incident_report.return``)."""
    return await _review(request, uid, settings, data, report_ops.ReportReturn)


@get("/incidents/{uid:str}/report/download", opt=READ)
async def download_report(
    request: SignedInRequest,
    uid: FromPath[str],
    settings: AppSettings,
    format: FromQuery[str] = "pdf",  # the query's own name
) -> Response[bytes]:
    """The report as a file: ``pdf`` (the printed page), ``xlsx`` or ``csv``, as the page
    shows it (as last submitted, once submitted)."""
    if format not in exports.MEDIA:
        raise NotFoundException(N_("There is no such file."))
    context = await _view(request, uid, settings)
    incident: IncidentOut = context["incident"]
    name = f"{translate(request, N_('Incident report'))}_{context['day'].isoformat()}"
    if format == "pdf":
        css = exports.stylesheets("app", "office", "journal")
        html = render(request, "journal/report_print.html", {**context, "inline_css": css})
        body = await exports.pdf_file(html)
    else:
        sheets = report_files.tables(request, context)
        body = exports.csv_bytes(sheets[0][1]) if format == "csv" else exports.xlsx_bytes(sheets)
    return Response(body, headers=exports.attachment(f"{name}_{incident.id}.{format}", format))


ROUTES = [report_page, submit_report, acknowledge_report, return_report, download_report]
