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

from server.auth.policy import Permission, allows, sees_every_site
from server.common.clock import JST, utc_iso
from server.common.parsing import today_jst
from server.common.text import Code
from server.headcounts import category_routes, ops, service
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
                "plus_name": translate(request, N_("%(label)s: add one")) % {"label": c.label(lang)},
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
    context["lang"] = request_language(request)
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


@post(
    ["/field/sessions/{work_session_id:int}/open", "/field/sessions/{work_session_id:int}/close"],
    opt=WRITE,
)
async def open_or_close(
    request: SignedInRequest, work_session_id: PathId, settings: AppSettings
) -> Template | Response[Any]:
    """Opens the work session now (it needs a person in charge), or closes it."""
    op: OpBase
    if request.url.path.endswith("/open"):
        opening = session_ops.OpenWorkSession(work_session_id=work_session_id, at=_now())
        op = session_ops.WorkSessionOpen(payload=opening)
    else:
        closing = session_ops.CloseWorkSession(work_session_id=work_session_id, at=_now())
        op = session_ops.WorkSessionClose(payload=closing)
    _, errors = await submit(request, op)
    if not errors:
        return Redirect(f"/field/sessions/{work_session_id}", status_code=303)
    session = await _load(request, work_session_id)
    context = await _counters_context(request, session, settings)
    context["status_error"] = next(iter(errors.values()))
    return page(request, "headcounts/field.html", context, status_code=400)


ROUTES = [
    today,
    field_session,
    count,
    open_or_close,
    *category_routes.ROUTES,
]
