"""Field pages: today's work sessions at my sites, and the tap counters of one session.

The categories page is in :mod:`server.headcounts.category_routes`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import SkipValidation
from litestar.response import Redirect, Template

from server.auth.policy import MANAGERS, Permission, allows, sees_every_site
from server.common.clock import JST, utc_iso
from server.common.parsing import today_jst
from server.common.text import Code
from server.headcounts import category_routes, check_forms, ops, service
from server.headcounts.check_forms import CountProblem, FinishForm, StartForm
from server.headcounts.schemas import Totals
from server.incidents import service as incidents
from server.incidents.schemas import CATEGORY_LABELS
from server.messages import N_
from server.ops.envelope import OpBase
from server.settings import Settings
from server.web.dependencies import AppSettings
from server.web.form_fields import Form
from server.web.forms import PathId, submit
from server.web.pages import (
    SignedInRequest,
    found,
    page,
    request_language,
    translate,
    wants_fragment,
)
from server.work_sessions import ops as session_ops
from server.work_sessions import service as work_sessions
from server.work_sessions.schemas import WorkSessionOut

DEVICE_COOKIE = "madoguchi_device"
READ = {"permission": Permission.READ_ALL}
WRITE = {"permission": Permission.FIELD_WRITE}
DeviceMark = Annotated[Callable[[str | None], Awaitable[int | None]], SkipValidation]
"""Reads a device's high-water mark (revoked devices too): provided by the app, since the
sync layer that keeps devices sits above this domain."""


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
    request: SignedInRequest,
    session: WorkSessionOut,
    settings: Settings,
    error: str = "",
    totals: Totals | None = None,
) -> dict[str, Any]:
    minutes = settings.field.slot_minutes
    if totals is None:
        totals = await service.totals(session.id)
    now = _now()
    slot = current_slot(session, minutes, now)
    user = request.user
    return {
        "session": session,
        "categories": await service.categories(session.counted_as),
        "totals": totals,
        "slots": service.session_slots(session, minutes),
        "slot": slot,
        "slot_end": slot + dt.timedelta(minutes=minutes),
        "slot_minutes": minutes,
        "can_write": allows(Permission.FIELD_WRITE, user.role),
        # Who may start or finish it, and whether today is its day (the service's rules).
        "may_work": work_sessions.works_on(session, user.staff_id, user.role),
        "manager": user.role in MANAGERS,
        "on_work_date": work_sessions.on_work_date(session, now, now),
        "error": error,
        "jst": JST,
    }


async def _load(request: Request[Any, Any, Any], work_session_id: int) -> WorkSessionOut:
    return found(request, await work_sessions.get(work_session_id), N_("No such work session."))


def _field_data(request: SignedInRequest, context: dict[str, Any], mark: int) -> dict[str, Any]:
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
                "plus_name": translate(request, N_("%(label)s: add one"))
                % {"label": c.label(lang)},
                "minus_name": translate(request, N_("%(label)s: subtract one"))
                % {"label": c.label(lang)},
            }
            for c in context["categories"]
        ],
        "cells": service.cell_rows(totals.cells),
        "device_id": request.cookies.get(DEVICE_COOKIE),
        "high_water": mark,
        "rendered_at": utc_iso(_now()),
        "has_in_charge": session.in_charge is not None,
        "work_date": session.work_date.isoformat(),
        "may_work": context["may_work"],
        "manager": context["manager"],
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
            "this_slot": translate(request, N_("This slot")),
            "below_zero": translate(request, N_("A total cannot go below zero.")),
        },
    }


@get("/field", opt=READ)
async def today(request: SignedInRequest) -> Template:
    """Today's work sessions (JST): mine, or every site's for managers and city staff."""
    day = today_jst()
    mine = not sees_every_site(request.user.role)
    sessions = await work_sessions.search(
        date_from=day, date_to=day, staff_id=request.user.staff_id if mine else None
    )
    return page(request, "headcounts/today.html", {"sessions": sessions, "day": day, "jst": JST})


@get("/field/sessions/{work_session_id:int}", opt=READ)
async def field_session(
    request: SignedInRequest,
    work_session_id: PathId,
    device_mark: DeviceMark,
    settings: AppSettings,
) -> Template:
    """One work session on the tablet: open/close, big counters, totals, incident button."""
    session = await _load(request, work_session_id)
    mark_of_this_tablet = functools.partial(device_mark, request.cookies.get(DEVICE_COOKIE))
    cursor, totals, mark = await service.field_snapshot(session.id, mark_of_this_tablet)
    context = await _counters_context(request, session, settings, totals=totals)
    context.update(await _checks_context(request, session))
    context["field_data"] = {**_field_data(request, context, mark), "pull_cursor": cursor}
    # Listed so the tablet keeps them for offline edits (static/js/incident.js).
    context["category_labels"] = CATEGORY_LABELS
    context["incidents"] = await incidents.search(
        work_session_id=session.id,
        now=_now(),
        report_minutes=settings.field.incident_report_minutes,
    )
    return page(request, "headcounts/field.html", context)


@post("/field/sessions/{work_session_id:int}/count", opt=WRITE, status_code=200)
async def count(
    request: SignedInRequest,
    work_session_id: PathId,
    data: Annotated[CountForm, Form],
    settings: AppSettings,
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
    fragment = wants_fragment(request, "counters")
    if not fragment and not errors:
        return Redirect(f"/field/sessions/{work_session_id}", status_code=303)
    session = await _load(request, work_session_id)
    error = next(iter(errors.values()), "")
    context = await _counters_context(request, session, settings, error)
    if fragment:
        return page(request, "headcounts/_counters.html", context)
    # A plain form post (no script): the page with the refusal, not a redirect losing it.
    return page(request, "headcounts/field.html", context, status_code=422)


@post("/field/sessions/{work_session_id:int}/open", opt=WRITE)
async def start(
    request: SignedInRequest,
    work_session_id: PathId,
    data: Annotated[StartForm, Form],
    settings: AppSettings,
) -> Template | Response[Any]:
    """Opens the work session now (its staff or a manager, on its work date unless a
    manager says why; it needs a person in charge), with the opening checks."""
    try:
        opening = check_forms.opening(data, work_session_id, _now())
    except CountProblem as problem:
        return await _refused(request, work_session_id, settings, str(problem), start_form=data)
    op = session_ops.WorkSessionOpen(payload=opening)
    return await _move(request, work_session_id, op, settings, start_form=data)


@post("/field/sessions/{work_session_id:int}/close", opt=WRITE)
async def finish(
    request: SignedInRequest,
    work_session_id: PathId,
    data: Annotated[FinishForm, Form],
    settings: AppSettings,
) -> Template | Response[Any]:
    """Closes the work session once its totals were shown and confirmed, with the closing
    checks; unconfirmed, the page with the confirmation open (a browser without scripts
    lands here)."""
    if data.confirmed != "yes":
        return await _refused(request, work_session_id, settings, "", finish_form=data)
    try:
        closing = check_forms.closing(data, work_session_id, _now())
    except CountProblem as problem:
        return await _refused(request, work_session_id, settings, str(problem), finish_form=data)
    op = session_ops.WorkSessionClose(payload=closing)
    return await _move(request, work_session_id, op, settings, finish_form=data)


async def _move(
    request: SignedInRequest,
    work_session_id: int,
    op: OpBase,
    settings: Settings,
    *,
    start_form: StartForm | None = None,
    finish_form: FinishForm | None = None,
) -> Template | Redirect:
    """Applies a start or finish: back to the page, or the page with the refusal."""
    _, errors = await submit(request, op)
    if not errors:
        return Redirect(f"/field/sessions/{work_session_id}", status_code=303)
    message = next(iter(errors.values()))
    return await _refused(
        request,
        work_session_id,
        settings,
        message,
        status=400,
        start_form=start_form,
        finish_form=finish_form,
    )


async def _refused(
    request: SignedInRequest,
    work_session_id: int,
    settings: Settings,
    message: str,
    *,
    status: int = 422,
    start_form: StartForm | None = None,
    finish_form: FinishForm | None = None,
) -> Template:
    """The page again with why a start or finish was refused (a message id from the forms,
    or the op's explained refusal), the form as it was sent and, for a finish, open."""
    session = await _load(request, work_session_id)
    context = await _counters_context(request, session, settings)
    context.update(await _checks_context(request, session))
    context["status_error"] = translate(request, message) if message else ""
    context["start_form"] = start_form
    context["finish_form"] = finish_form
    context["confirm_close"] = finish_form is not None
    return page(request, "headcounts/field.html", context, status_code=status if message else 200)


async def _checks_context(request: SignedInRequest, session: WorkSessionOut) -> dict[str, Any]:
    """The session's checklists to tick, what was recorded, and whether cards are counted."""
    return {
        "checklists": {
            phase: await work_sessions.checklist(session.counted_as, phase)
            for phase in ("open", "close")
        },
        "checks": (await work_sessions.checks_of([session.id])).get(session.id),
        "counts_stock": session.counted_as == work_sessions.STOCK_GROUP,
        "lang": request_language(request),
    }


ROUTES = [
    today,
    field_session,
    count,
    start,
    finish,
    *category_routes.ROUTES,
]
