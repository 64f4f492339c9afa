"""Field pages: today's work sessions at my sites, and the tap counters of one session."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from server import db
from server.audit import service as audit
from server.auth.policy import MANAGERS, Permission, allows
from server.auth.schemas import Identity
from server.common.clock import JST, utc_iso
from server.common.text import Code, FreeText
from server.headcounts import service
from server.headcounts.schemas import Totals
from server.incidents import service as incidents
from server.incidents.schemas import CATEGORY_LABELS
from server.messages import N_
from server.settings import Settings
from server.sync import ops
from server.sync.devices import device_mark
from server.web.form_fields import FormChoice
from server.web.forms import PathId, on_form, submit
from server.web.pages import page, request_language, translate
from server.work_sessions import service as work_sessions
from server.work_sessions.schemas import WorkSessionOut

DEVICE_COOKIE = "madoguchi_device"
READ = {"permission": Permission.READ_ALL}
WRITE = {"permission": Permission.FIELD_WRITE}
Form = Body(media_type=RequestEncodingType.URL_ENCODED)


class CountForm(msgspec.Struct):
    """A counter tap."""

    category: Code
    delta: int
    slot: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def current_slot(session: WorkSessionOut, slot_minutes: int, now: dt.datetime) -> dt.datetime:
    """The slot a tap now belongs to: the current one, or the nearest inside the session."""
    window = service.session_slots(session, slot_minutes)
    slot = service.slot_of(now, slot_minutes)
    return min(max(slot, window[0]), window[-1]) if window else slot


async def _counters_context(
    request: Request[Any, Identity, Any],
    session: WorkSessionOut,
    error: str = "",
    totals: Totals | None = None,
) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    minutes = settings.field.slot_minutes
    if totals is None:
        totals = await service.totals(session.id)
    slot = current_slot(session, minutes, _now())
    return {
        "session": session,
        "categories": await service.categories(session.site_kind),
        "totals": totals,
        "slots": service.session_slots(session, minutes),
        "slot": slot,
        "slot_end": slot + dt.timedelta(minutes=minutes),
        "slot_minutes": minutes,
        "can_write": allows(Permission.FIELD_WRITE, request.user.role),
        "error": error,
        "jst": JST,
    }


async def _load(work_session_id: int) -> WorkSessionOut:
    session = await work_sessions.get(work_session_id)
    if session is None:
        raise NotFoundException("No such work session.")
    return session


async def _snapshot(session_id: int, device_id: str | None) -> tuple[int, Totals, int]:
    """The log's head (a first pull starts there), the session's totals and this device's
    high-water mark, read in one snapshot: the totals hold exactly this device's ops up to
    the mark, and a pull from the head brings only what came after."""
    async with db.reading():
        cursor = await audit.head_seq()
        totals = await service.totals(session_id)
        mark = await device_mark(device_id, live_only=False)
    return cursor, totals, mark or 0


def _field_data(
    request: Request[Any, Identity, Any], context: dict[str, Any], mark: int
) -> dict[str, Any]:
    """What the service worker needs to answer taps offline: the page's state, as data."""
    session: WorkSessionOut = context["session"]
    totals: Totals = context["totals"]
    lang = context.get("lang") or ""
    return {
        "session_id": session.id,
        "site_id": session.site_id,
        "status": session.status,
        "actor_id": request.user.staff_id,
        "can_write": context["can_write"],
        "slot_minutes": context["slot_minutes"],
        "slots": [utc_iso(s) for s in context["slots"]],
        "categories": [
            {
                "code": c.code,
                "label": c.label(lang),
                "confirm": translate(request, N_("Subtract one from %(label)s?"))
                % {"label": c.label(lang)},
            }
            for c in context["categories"]
        ],
        "cells": service.cell_rows(totals.cells),
        "device_id": request.cookies.get(DEVICE_COOKIE),
        "high_water": mark,
        "rendered_at": utc_iso(_now()),
        "has_in_charge": session.in_charge is not None,
        "status_labels": {
            "planned": translate(request, N_("Planned")),
            "open": translate(request, N_("Open now")),
            "closed": translate(request, N_("Finished")),
            "locked": translate(request, N_("Locked")),
        },
        "messages": {
            "needs_in_charge": translate(
                request, N_("An open work session needs a person in charge.")
            ),
            "time_slot": translate(request, N_("Time slot")),
            "total": translate(request, N_("Total")),
            "below_zero": translate(request, N_("A total cannot go below zero.")),
        },
    }


@get("/field", opt=READ)
async def today(request: Request[Any, Identity, Any]) -> Template:
    """Today's work sessions (JST): mine, or every site's for managers and city staff."""
    day = dt.datetime.now(JST).date()
    mine = request.user.role not in MANAGERS and request.user.role != "city_staff"
    sessions = await work_sessions.search(
        date_from=day, date_to=day, staff_id=request.user.staff_id if mine else None
    )
    return page(request, "headcounts/today.html", {"sessions": sessions, "day": day, "jst": JST})


@get("/field/sessions/{work_session_id:int}", opt=READ)
async def field_session(request: Request[Any, Identity, Any], work_session_id: PathId) -> Template:
    """One work session on the tablet: open/close, big counters, totals, incident button."""
    session = await _load(work_session_id)
    cursor, totals, mark = await _snapshot(session.id, request.cookies.get(DEVICE_COOKIE))
    context = await _counters_context(request, session, totals=totals)
    context["lang"] = request_language(request)
    context["field_data"] = {**_field_data(request, context, mark), "pull_cursor": cursor}
    # Listed so the tablet keeps them for offline edits (static/js/incident.js).
    context["category_labels"] = CATEGORY_LABELS
    context["incidents"] = await incidents.search(
        work_session_id=session.id,
        now=_now(),
        report_minutes=request.app.state.settings.field.incident_report_minutes,
    )
    response = page(request, "headcounts/field.html", context)
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


@post("/field/sessions/{work_session_id:int}/count", opt=WRITE, status_code=200)
async def count(
    request: Request[Any, Identity, Any],
    work_session_id: PathId,
    data: Annotated[CountForm, Form],
) -> Template | Redirect:
    """Records a tap (+1, or a confirmed −1) and answers with the updated counters."""
    _, errors = await submit(
        request,
        ops.HeadcountAdd(
            payload=ops.AddHeadcount(
                work_session_id=work_session_id,
                slot_start=data.slot,
                category=data.category,
                delta=data.delta,
            )
        ),
    )
    if "hx-request" not in request.headers:
        if not errors:
            return Redirect(f"/field/sessions/{work_session_id}", status_code=303)
        # A plain form post (no script): the page with the refusal, not a redirect losing it.
        session = await _load(work_session_id)
        context = await _counters_context(request, session, next(iter(errors.values())))
        return page(request, "headcounts/field.html", context, status_code=422)
    session = await _load(work_session_id)
    context = await _counters_context(request, session, next(iter(errors.values()), ""))
    response = page(request, "headcounts/_counters.html", context)
    response.headers["Vary"] = "Accept-Language, Cookie, HX-Request"
    return response


async def _transition(
    request: Request[Any, Identity, Any], work_session_id: int, op: ops.Op
) -> Template | Response[Any]:
    _, errors = await submit(request, op)
    if errors:
        session = await _load(work_session_id)
        context = await _counters_context(request, session)
        context["status_error"] = next(iter(errors.values()))
        return page(request, "headcounts/field.html", context, status_code=400)
    return Redirect(f"/field/sessions/{work_session_id}", status_code=303)


@post("/field/sessions/{work_session_id:int}/open", opt=WRITE)
async def open_session(
    request: Request[Any, Identity, Any], work_session_id: PathId
) -> Template | Response[Any]:
    """Opens the work session now (needs a person in charge)."""
    op = ops.WorkSessionOpen(
        payload=ops.OpenWorkSession(work_session_id=work_session_id, at=_now())
    )
    return await _transition(request, work_session_id, op)


@post("/field/sessions/{work_session_id:int}/close", opt=WRITE)
async def close_session(
    request: Request[Any, Identity, Any], work_session_id: PathId
) -> Template | Response[Any]:
    """Closes the work session now."""
    op = ops.WorkSessionClose(
        payload=ops.CloseWorkSession(work_session_id=work_session_id, at=_now())
    )
    return await _transition(request, work_session_id, op)


class CategoryForm(msgspec.Struct):
    """The add-category form."""

    site_group: FormChoice = ""
    label_ja: FreeText = ""
    label_en: FreeText = ""


GROUPS = (("outreach", "outreach_venue"), ("office", "office"))


async def _categories_page(
    request: Request[Any, Identity, Any],
    errors: dict[str, str] | None = None,
    form: CategoryForm | None = None,
    status_code: int = 200,
) -> Template:
    groups = {
        group: await service.categories(kind, include_inactive=True) for group, kind in GROUPS
    }
    return page(
        request,
        "headcounts/categories.html",
        {
            "groups": groups,
            "can_manage": allows(Permission.MANAGE_SITES, request.user.role),
            "errors": on_form(errors or {}, CategoryForm.__struct_fields__),
            "form": form or CategoryForm(),
        },
        status_code=status_code,
    )


@get("/sites/categories", opt=READ)
async def categories_page(request: Request[Any, Identity, Any]) -> Template:
    """What is counted at venues and at counters; managers add and retire categories."""
    return await _categories_page(request)


@post("/sites/categories", opt={"permission": Permission.MANAGE_SITES})
async def add_category(
    request: Request[Any, Identity, Any], data: Annotated[CategoryForm, Form]
) -> Template | Redirect:
    """Adds a category to one kind of site."""
    if data.site_group not in ("outreach", "office"):
        errors = {"site_group": translate(request, "Choose where it is counted.")}
        return await _categories_page(request, errors, data, 422)
    _, errors = await submit(
        request,
        ops.HeadcountCategoryAdd(
            payload=ops.AddCategory(
                site_group=data.site_group,  # type: ignore[arg-type]
                label_ja=data.label_ja,
                label_en=data.label_en,
            )
        ),
    )
    if errors:
        return await _categories_page(request, errors, data, 422)
    return Redirect("/sites/categories", status_code=303)


@post(
    "/sites/categories/{group:str}/{code:str}/toggle", opt={"permission": Permission.MANAGE_SITES}
)
async def toggle_category(
    request: Request[Any, Identity, Any], group: FromPath[str], code: FromPath[str]
) -> Template | Redirect:
    """Retires an active category or restores a retired one; its counts stay."""
    current = {
        c.code: c.active
        for g, kind in GROUPS
        if g == group
        for c in await service.categories(kind, include_inactive=True)
    }
    if code not in current:
        errors = {"_": translate(request, "Unknown category.")}
        return await _categories_page(request, errors, status_code=404)
    _, errors = await submit(
        request,
        ops.HeadcountCategorySetActive(
            payload=ops.SetCategoryActive(
                site_group=group,  # type: ignore[arg-type]
                code=code,
                active=not current[code],
            )
        ),
    )
    if errors:
        return await _categories_page(request, errors, status_code=422)
    return Redirect("/sites/categories", status_code=303)


ROUTES = [
    today,
    field_session,
    count,
    open_session,
    close_session,
    categories_page,
    add_category,
    toggle_category,
]
