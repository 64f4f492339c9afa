"""The daily journal page: a site and a day chosen, the journal compiled from the records,
and its workflow: submitted (again, with a reason, to revise it), returned or acknowledged."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from server.auth.policy import ROLE_LABELS, Permission
from server.common import exports
from server.common.era import wareki
from server.common.parsing import hhmm, parse_date, parse_id, today_jst
from server.common.text import FreeText
from server.incidents.schemas import CATEGORY_LABELS, SEVERITY_LABELS
from server.journal import files, ops, service
from server.journal.workflow import CHANGED, FUTURE_DAY
from server.messages import N_
from server.settings import Settings
from server.sites import service as sites
from server.staff import service as staff
from server.web.dependencies import AppSettings
from server.web.form_fields import Form, FormDate, FormId
from server.web.forms import submit_form
from server.web.pages import SignedInRequest, found, page, render, request_language, translate

READ = {"permission": Permission.READ_ALL}
BAD_DAY = N_("Enter a date as YYYY-MM-DD.")
# A form's fields that do not parse (the submission's base version is read by the route).
MESSAGES = {"site_id": N_("No such site."), "day": BAD_DAY, "version": CHANGED}


class JournalForm(msgspec.Struct):
    """What every journal form sends: the site's day it is about."""

    site_id: FormId = ""
    day: FormDate = ""


class SubmitForm(JournalForm):
    """The submission form: the version the page showed, the text, and for a revision its
    reason."""

    base_version: FormId = "0"
    notes: FreeText = ""
    handover: FreeText = ""
    reason: FreeText = ""


class ReviewForm(JournalForm):
    """The city's forms: the version read, and the comment of a return."""

    version: FormId = ""
    comment: FreeText = ""


async def _view(
    request: SignedInRequest, settings: Settings, site_id: str | None, day: str | None
) -> dict[str, Any]:
    """What the journal page (and its files) show of the chosen site's day, and why the
    day asked for is refused (``errors``)."""
    choices = await sites.list_sites(include_retired=True)
    today = today_jst()
    errors: dict[str, str] = {}
    try:
        chosen_site = parse_id(site_id) if site_id else choices[0].id
    except ValueError:
        chosen_site = None
    found(request, next((s for s in choices if s.id == chosen_site), None), N_("No such site."))
    chosen_day: dt.date | None = today
    if day:
        try:
            chosen_day = parse_date(day)
        except ValueError:
            chosen_day, errors["day"] = None, translate(request, BAD_DAY)
    if chosen_day is not None and chosen_day > today:
        chosen_day, errors["day"] = None, translate(request, FUTURE_DAY)
    compiled = record = None
    if chosen_day is not None and chosen_site is not None:
        compiled = await service.compile_day(
            chosen_site,
            chosen_day,
            now=dt.datetime.now(dt.UTC),
            slot_minutes=settings.field.slot_minutes,
            report_minutes=settings.field.incident_report_minutes,
        )
        record = await service.record(chosen_site, chosen_day)
    frozen = record.submitted.frozen if record else None
    figures = frozen or (service.freeze(compiled) if compiled else None)
    context: dict[str, Any] = {
        "figures": figures,
        "slots": (
            sorted(set(compiled.slots) | set(figures.by_slot())) if compiled and figures else []
        ),
        "sites": choices,
        "site_id": chosen_site,
        "day": day or today.isoformat(),
        "today": today,
        "journal": compiled,
        "record": record,
        "changed": service.differences(record.submitted.frozen, compiled)
        if record and compiled and record.submitted.frozen
        else {},
        "people": {p.id: p.display_name for p in await staff.list_staff()} if record else {},
        "problems": await service.open_problems(compiled, settings.field) if compiled else [],
        "errors": errors,
        "wareki": wareki,
        "hhmm": hhmm,
        "role_labels": ROLE_LABELS,
        "incident_labels": CATEGORY_LABELS,
        "severity_labels": SEVERITY_LABELS,
    }
    return context


async def _page(
    request: SignedInRequest,
    settings: Settings,
    site_id: str | None,
    day: str | None,
    errors: dict[str, str] | None = None,
    form: JournalForm | None = None,
) -> Template:
    context = await _view(request, settings, site_id, day)
    errors = context["errors"] = {**(errors or {}), **context["errors"]}
    context["form"] = form or JournalForm()
    status = 200 if not errors else 400 if "day" in errors and form is None else 422
    return page(request, "journal/day.html", context, status_code=status)


@get("/journal", opt=READ)
async def journal(
    request: SignedInRequest,
    settings: AppSettings,
    site_id: FromQuery[str | None] = None,
    day: FromQuery[str | None] = None,
) -> Template:
    """A site's daily journal (業務日誌) for one day, today's at the first site by default:
    as submitted when it was, with what changed since."""
    return await _page(request, settings, site_id, day)


def _back(form: JournalForm) -> Redirect:
    return Redirect(f"/journal?site_id={form.site_id}&day={form.day}#journal", status_code=303)


def _version(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 6 else -1


@post("/journal/submit", opt={"permission": Permission.SUBMIT_JOURNAL})
async def submit(
    request: SignedInRequest, settings: AppSettings, data: Annotated[SubmitForm, Form]
) -> Template | Redirect:
    """Submits the day's journal (op ``journal.submit``), or revises it with a reason."""
    applied, errors = await submit_form(
        request,
        data,
        ops.SubmitJournal,
        MESSAGES,
        ops.JournalSubmit,
        base_version=max(0, _version(data.base_version)),
    )
    if applied is None:
        return await _page(request, settings, data.site_id, data.day, errors, data)
    return _back(data)


async def _review(
    request: SignedInRequest, settings: AppSettings, data: ReviewForm, op: type[Any]
) -> Template | Redirect:
    applied, errors = await submit_form(request, data, ops.ReviewJournal, MESSAGES, op)
    if applied is None:
        return await _page(request, settings, data.site_id, data.day, errors, data)
    return _back(data)


@post("/journal/acknowledge", opt={"permission": Permission.ACKNOWLEDGE})
async def acknowledge(
    request: SignedInRequest, settings: AppSettings, data: Annotated[ReviewForm, Form]
) -> Template | Redirect:
    """The city acknowledges the submitted journal (op ``journal.acknowledge``)."""
    return await _review(request, settings, data, ops.JournalAcknowledge)


@post("/journal/return", opt={"permission": Permission.ACKNOWLEDGE})
async def give_back(
    request: SignedInRequest, settings: AppSettings, data: Annotated[ReviewForm, Form]
) -> Template | Redirect:
    """The city returns the submitted journal with a comment (op ``journal.return``)."""
    return await _review(request, settings, data, ops.JournalReturn)


@get("/journal/download", opt=READ)
async def download(
    request: SignedInRequest,
    settings: AppSettings,
    site_id: FromQuery[str | None] = None,
    day: FromQuery[str | None] = None,
    format: FromQuery[str] = "pdf",  # the query's own name
) -> Response[bytes] | Template:
    """The journal as a file: ``pdf`` (the printed page), ``xlsx`` or ``csv``; the figures
    are those the page shows (as submitted, once submitted)."""
    if format not in exports.MEDIA:
        raise NotFoundException(N_("There is no such file."))
    context = await _view(request, settings, site_id, day)
    compiled = context["journal"]
    if compiled is None:
        return await _page(request, settings, site_id, day)
    language = request_language(request)
    name = "_".join(
        (
            translate(request, N_("Daily journal")),
            compiled.site.name(language),
            compiled.day.isoformat(),
        )
    )
    if format == "pdf":
        css = exports.stylesheets("app", "office", "journal")
        html = render(
            request, "journal/print.html", {**context, "printing": True, "inline_css": css}
        )
        body = await exports.pdf_file(html)
    else:
        sheets = files.tables(request, {**context, "lang": language})
        body = exports.csv_bytes(sheets[1][1]) if format == "csv" else exports.xlsx_bytes(sheets)
    return Response(body, headers=exports.attachment(f"{name}.{format}", format))


ROUTES = [journal, submit, acknowledge, give_back, download]
