"""Office pages for work sessions: list and filter, plan, staff them, and reopen one.

Every change is an op applied through :func:`server.web.forms.submit`; the forms are read in
:mod:`server.work_sessions.forms` and the pages drawn in :mod:`server.work_sessions.views`.
"""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from server.auth.policy import Permission
from server.web.form_fields import Form
from server.web.forms import PathId, read_form, submit, submit_form
from server.web.pages import SignedInRequest, page
from server.work_sessions import forms, ops, views, week_routes

READ = {"permission": Permission.READ_ALL}
PLAN = {"permission": Permission.PLAN_WORK}


@get("/work-sessions", opt=READ)
async def list_page(
    request: SignedInRequest,
    site_id: FromQuery[str | None] = None,
    date_from: FromQuery[str | None] = None,
    date_to: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
) -> Template:
    """Work sessions filtered by site, date range and status (from a week ago by default)."""
    filters = forms.parse_filters(site_id, date_from, date_to, status)
    return await views.list_page(request, filters)


@post("/work-sessions", opt=PLAN)
async def plan(
    request: SignedInRequest, data: Annotated[forms.PlanForm, Form]
) -> Template | Redirect:
    """Plans a work session (op ``work_session.plan``) and goes on to staff it."""
    planned, errors = read_form(request, data, forms.Plan, forms.PLAN_MESSAGES)
    if planned is not None:
        applied, errors = await submit(request, ops.WorkSessionPlan(payload=planned.payload()))
        if applied is not None:
            return Redirect(f"/work-sessions/{applied.entity_id}", status_code=303)
    filters = forms.parse_filters(None, None, None, None)
    return await views.list_page(request, filters, form=data, errors=errors, status_code=422)


@get("/work-sessions/{work_session_id:int}", opt=READ)
async def detail(
    request: SignedInRequest,
    work_session_id: PathId,
    removed: FromQuery[str | None] = None,
    duty: FromQuery[str | None] = None,
) -> Template:
    """One work session: its window, status and staff; planners assign and remove people
    (``removed`` and ``duty``: someone just removed, offered back with an undo)."""
    session = await views.load(request, work_session_id)
    context = await views.staff_context(session, None, {}, {})
    context["removed"] = await views.undo_offer(session, removed, duty)
    return page(request, "work_sessions/detail.html", context)


@post("/work-sessions/{work_session_id:int}/staff", opt=PLAN)
async def assign(
    request: SignedInRequest,
    work_session_id: PathId,
    data: Annotated[forms.AssignForm, Form],
) -> Template | Redirect:
    """Assigns someone, in charge or as an operator (op ``work_session.assign``)."""
    _, errors = await submit_form(
        request,
        data,
        ops.AssignStaff,
        forms.ASSIGN_MESSAGES,
        ops.WorkSessionAssign,
        work_session_id=work_session_id,
    )
    return await views.staffing_answer(request, work_session_id, data, errors)


@post("/work-sessions/{work_session_id:int}/staff/{staff_id:int}/remove", opt=PLAN)
async def unassign(
    request: SignedInRequest, work_session_id: PathId, staff_id: PathId
) -> Template | Redirect:
    """Removes someone from the session (op ``work_session.unassign``, asked first on the
    page) and offers its undo; a refusal about the person is shown on their row."""
    session = await views.load(request, work_session_id)
    duty = next((a.duty for a in session.staff if a.staff_id == staff_id), "operator")
    op = ops.WorkSessionUnassign(
        payload=ops.UnassignStaff(work_session_id=work_session_id, staff_id=staff_id)
    )
    _, errors = await submit(request, op)
    row_errors = {staff_id: errors.pop("staff_id")} if "staff_id" in errors else {}
    return await views.staffing_answer(
        request, work_session_id, None, errors, row_errors, removed=(staff_id, duty)
    )


@post("/work-sessions/{work_session_id:int}/reopen", opt=PLAN)
async def reopen(
    request: SignedInRequest, work_session_id: PathId, data: Annotated[forms.ReopenForm, Form]
) -> Template | Redirect:
    """Reopens a finished session, with the manager's reason (op ``work_session.reopen``,
    audited); a refusal is shown beside the reason."""
    op = ops.WorkSessionReopen(
        payload=ops.ReopenWorkSession(work_session_id=work_session_id, reason=data.reason)
    )
    _, errors = await submit(request, op)
    if not errors:
        return Redirect(f"/work-sessions/{work_session_id}", status_code=303)
    session = await views.load(request, work_session_id)
    context = await views.staff_context(session, None, {}, {})
    context.update(reopen_reason=data.reason, reopen_errors=errors)
    return page(request, "work_sessions/detail.html", context, status_code=422)


ROUTES = [list_page, plan, detail, assign, unassign, reopen, *week_routes.ROUTES]
