"""What the work-session pages show: the list (or just its results, for htmx) and one
session's staff panel (or the whole page around it).

The list's filters and the staff panel answer htmx with a fragment
(:func:`server.web.pages.wants_fragment`); times are shown in JST.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Redirect, Template

from server.auth.policy import CONTRACTOR, ROLE_LABELS
from server.common.parsing import hhmm, parse_id, today_jst
from server.messages import N_
from server.sites import service as sites
from server.staff import service as staff
from server.web.forms import on_form
from server.web.pages import SignedInRequest, found, page, wants_fragment
from server.work_sessions import service
from server.work_sessions.forms import DUTIES, STATUSES, AssignForm, Filters, PlanForm
from server.work_sessions.schemas import WorkSessionOut

LIST_TARGET = "ws-results"
STAFF_TARGET = "ws-staff"


async def load(request: Request[Any, Any, Any], work_session_id: int) -> WorkSessionOut:
    """The work session, or a 404."""
    return found(request, await service.get(work_session_id), N_("No such work session."))


async def list_page(
    request: SignedInRequest,
    filters: Filters,
    *,
    form: PlanForm | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    """The filtered list with the plan form, or only the results when htmx asks."""
    sessions = await service.search(
        site_id=filters.site_id,
        date_from=filters.date_from,
        date_to=filters.date_to,
        status=filters.status,
    )
    context = {
        "sessions": sessions,
        "filters": filters.query(),
        "statuses": STATUSES,
        "hhmm": hhmm,
    }
    if wants_fragment(request, LIST_TARGET):
        return page(request, "work_sessions/_list.html", context)
    all_sites = await sites.list_sites(include_retired=True)
    context.update(
        sites=all_sites,
        plan_sites=[s for s in all_sites if s.active],
        form=form or PlanForm(work_date=today_jst().isoformat()),
        errors=on_form(errors or {}, PlanForm.__struct_fields__),
    )
    return page(request, "work_sessions/index.html", context, status_code=status_code)


async def staff_context(
    session: WorkSessionOut,
    form: AssignForm | None,
    errors: dict[str, str],
    row_errors: dict[int, str],
) -> dict[str, Any]:
    """The staff panel: who works the session, whom a planner may add, and the refusals
    (on the form, on a person's row, or above the panel when the row is gone)."""
    assigned = {a.staff_id for a in session.staff}
    candidates = [
        person
        for person in await staff.list_staff()
        if person.active and person.role in CONTRACTOR and person.id not in assigned
    ]
    errors, row_errors = dict(errors), dict(row_errors)
    for staff_id in row_errors.keys() - assigned:
        errors["_"] = row_errors.pop(staff_id)  # no row to show it on
    default_duty = "operator" if session.in_charge else "in_charge"
    return {
        "session": session,
        "hhmm": hhmm,
        "role_labels": ROLE_LABELS,
        "editable": session.status in service.EDITABLE,
        "candidates": candidates,
        "duties": DUTIES,
        "assign_form": form or AssignForm(duty=default_duty),
        "errors": errors,
        "general_errors": [m for f, m in errors.items() if f not in ("staff_id", "duty")],
        "row_errors": row_errors,
    }


async def undo_offer(
    session: WorkSessionOut, staff_id: str | int | None, duty: str | None
) -> dict[str, Any] | None:
    """Who was just removed from ``session`` and as what, for the undo the panel shows;
    None once they are back, or when the values name no removal that can be undone."""
    try:
        person_id = parse_id(str(staff_id)) if staff_id is not None else None
    except ValueError:
        person_id = None
    if person_id is None or duty not in DUTIES or session.status not in service.EDITABLE:
        return None
    if any(a.staff_id == person_id for a in session.staff):
        return None
    person = await staff.get_staff(person_id)
    if person is None or not person.active:
        return None
    return {"staff_id": person_id, "display_name": person.display_name, "duty": duty}


async def staffing_answer(
    request: SignedInRequest,
    work_session_id: int,
    form: AssignForm | None,
    errors: dict[str, str],
    row_errors: dict[int, str] | None = None,
    removed: tuple[int, str] | None = None,
) -> Template | Redirect:
    """The answer to a staffing change; ``removed``: whom it took off and their duty.

    htmx gets the refreshed staff panel (200, errors shown in it, since htmx does not swap
    error statuses); a plain form gets a redirect on success or the page with a 422. After
    a removal both offer its undo (the redirect names the person and duty in its query).
    """
    row_errors = row_errors or {}
    failed = bool(errors or row_errors)
    if wants_fragment(request, STAFF_TARGET):
        session = await load(request, work_session_id)
        context = await staff_context(session, form if failed else None, errors, row_errors)
        if removed and not failed:
            context["removed"] = await undo_offer(session, *removed)
        return page(request, "work_sessions/_staff.html", context)
    if not failed and removed:
        query = f"removed={removed[0]}&duty={removed[1]}"
        return Redirect(f"/work-sessions/{work_session_id}?{query}#ws-staff", status_code=303)
    if not failed:
        return Redirect(f"/work-sessions/{work_session_id}", status_code=303)
    session = await load(request, work_session_id)
    context = await staff_context(session, form, errors, row_errors)
    return page(request, "work_sessions/detail.html", context, status_code=422)
