"""Office pages for work sessions: list and filter, plan, and staff them.

Times on these pages are Japan time (JST): the plan form takes a date and HH:MM times and
the lists show windows in JST. Every change is an op applied through
:func:`server.web.forms.submit`. The list's filters and the staff panel answer htmx
requests with a fragment, so those responses vary on ``HX-Request``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from server.auth.policy import CONTRACTOR, ROLE_LABELS, Permission, allows
from server.auth.schemas import Identity
from server.common.clock import JST
from server.common.text import INT32_MAX, FreeText
from server.messages import N_
from server.sites import service as sites
from server.staff import service as staff
from server.sync import ops
from server.web.form_fields import FormChoice, FormDate, FormId, FormTime
from server.web.forms import PathId, on_form, submit
from server.web.pages import page, translate
from server.work_sessions import service
from server.work_sessions.schemas import WorkSessionOut

READ = {"permission": Permission.READ_ALL}
PLAN = {"permission": Permission.PLAN_WORK}
Form = Body(media_type=RequestEncodingType.URL_ENCODED)
STATUSES: tuple[str, ...] = ("planned", "open", "closed", "locked")
DUTIES: tuple[str, ...] = ("in_charge", "operator")
DEFAULT_DAYS_BACK = 7
VARY = "Accept-Language, Cookie, HX-Request, HX-History-Restore-Request"
LIST_TARGET = "ws-results"
STAFF_TARGET = "ws-staff"


class PlanForm(msgspec.Struct):
    """The plan form: date and HH:MM times in JST, as the browser sends them."""

    site_id: FormId = ""
    work_date: FormDate = ""
    planned_start: FormTime = ""
    planned_end: FormTime = ""
    notes: FreeText = ""


class AssignForm(msgspec.Struct):
    """The assign form."""

    staff_id: FormId = ""
    duty: FormChoice = ""


class Filters(msgspec.Struct, frozen=True, kw_only=True):
    """The list's filters, as parsed from the query string."""

    site_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    status: str | None = None

    def query(self) -> dict[str, str]:
        """The filters as form values."""
        return {
            "site_id": "" if self.site_id is None else str(self.site_id),
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "status": self.status or "",
        }


def today_jst() -> dt.date:
    """Today's date in Japan."""
    return dt.datetime.now(JST).date()


def in_jst(moment: dt.datetime) -> dt.datetime:
    """``moment`` in JST (a naive value from the database is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(JST)


def hhmm(moment: dt.datetime | None) -> str:
    """``moment`` as HH:MM in JST, or empty."""
    return "" if moment is None else in_jst(moment).strftime("%H:%M")


def _int(value: str | None) -> int | None:
    """A row id from a form or query (1..2^31-1, ASCII digits), or None."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit() and len(value) < 12):
        return None
    number = int(value)
    return number if 1 <= number <= INT32_MAX else None


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _time(value: str) -> dt.time | None:
    try:
        parsed = dt.time.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(second=0, microsecond=0)


def parse_filters(
    site_id: str | None, date_from: str | None, date_to: str | None, status: str | None
) -> Filters:
    """Filters from the query string; an absent ``date_from`` means a week ago (JST).

    An empty ``date_from`` (the field cleared) means no lower bound; values that do not
    parse are ignored.
    """
    start = (
        today_jst() - dt.timedelta(days=DEFAULT_DAYS_BACK)
        if date_from is None
        else _date(date_from)
    )
    return Filters(
        site_id=_int(site_id),
        date_from=start,
        date_to=_date(date_to),
        status=status if status in STATUSES else None,
    )


def wants_fragment(request: Request[Any, Any, Any], target: str) -> bool:
    """Whether htmx asked for the fragment with id ``target`` (not a boost or history load)."""
    headers = request.headers
    return (
        "hx-request" in headers
        and "hx-history-restore-request" not in headers
        and "hx-boosted" not in headers
        and headers.get("hx-target", target) == target
    )


def _varying(response: Template) -> Template:
    response.headers["Vary"] = VARY
    return response


def _common(request: Request[Any, Identity, Any]) -> dict[str, Any]:
    return {
        "can_plan": allows(Permission.PLAN_WORK, request.user.role),
        "hhmm": hhmm,
        "role_labels": ROLE_LABELS,
    }


@get("/work-sessions", opt=READ)
async def list_page(
    request: Request[Any, Identity, Any],
    site_id: FromQuery[str | None] = None,
    date_from: FromQuery[str | None] = None,
    date_to: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
) -> Template:
    """Work sessions filtered by site, date range and status (from a week ago by default)."""
    filters = parse_filters(site_id, date_from, date_to, status)
    return await _list_page(request, filters)


async def _list_page(
    request: Request[Any, Identity, Any],
    filters: Filters,
    *,
    form: PlanForm | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    sessions = await service.search(
        site_id=filters.site_id,
        date_from=filters.date_from,
        date_to=filters.date_to,
        status=filters.status,
    )
    context = {
        **_common(request),
        "sessions": sessions,
        "filters": filters.query(),
        "statuses": STATUSES,
    }
    if wants_fragment(request, LIST_TARGET):
        return _varying(page(request, "work_sessions/_list.html", context))
    all_sites = await sites.list_sites(include_retired=True)
    context.update(
        sites=all_sites,
        plan_sites=[s for s in all_sites if s.active],
        form=form or PlanForm(work_date=today_jst().isoformat()),
        errors=on_form(errors or {}, PlanForm.__struct_fields__),
    )
    return _varying(page(request, "work_sessions/index.html", context, status_code=status_code))


def _plan_op(
    request: Request[Any, Any, Any], data: PlanForm
) -> tuple[ops.WorkSessionPlan | None, dict[str, str]]:
    """The plan op the form describes, or the form's own errors (translated)."""
    errors: dict[str, str] = {}
    site_id = _int(data.site_id)
    if site_id is None:
        errors["site_id"] = N_("Choose a site.")
    work_date = _date(data.work_date)
    if work_date is None:
        errors["work_date"] = N_("Enter a date.")
    start = _time(data.planned_start)
    if start is None:
        errors["planned_start"] = N_("Enter a time as HH:MM.")
    end = _time(data.planned_end)
    if end is None:
        errors["planned_end"] = N_("Enter a time as HH:MM.")
    if site_id is None or work_date is None or start is None or end is None:
        return None, {field: translate(request, message) for field, message in errors.items()}
    op = ops.WorkSessionPlan(
        payload=ops.PlanWorkSession(
            site_id=site_id,
            work_date=work_date,
            planned_start=dt.datetime.combine(work_date, start, JST),
            planned_end=dt.datetime.combine(work_date, end, JST),
            notes=data.notes,
        )
    )
    return op, {}


@post("/work-sessions", opt=PLAN)
async def plan(
    request: Request[Any, Identity, Any], data: Annotated[PlanForm, Form]
) -> Template | Redirect:
    """Plans a work session (op ``work_session.plan``) and goes on to staff it."""
    op, errors = _plan_op(request, data)
    if op is not None:
        applied, errors = await submit(request, op)
        if applied is not None:
            return Redirect(f"/work-sessions/{applied.entity_id}", status_code=303)
    filters = parse_filters(None, None, None, None)
    return await _list_page(request, filters, form=data, errors=errors, status_code=422)


async def _load(work_session_id: int) -> WorkSessionOut:
    session = await service.get(work_session_id)
    if session is None:
        raise NotFoundException("No such work session.")
    return session


async def _staff_context(
    request: Request[Any, Identity, Any],
    session: WorkSessionOut,
    *,
    form: AssignForm | None = None,
    errors: dict[str, str] | None = None,
    row_errors: dict[int, str] | None = None,
) -> dict[str, Any]:
    assigned = {a.staff_id for a in session.staff}
    candidates = [
        person
        for person in await staff.list_staff()
        if person.active and person.role in CONTRACTOR and person.id not in assigned
    ]
    errors = dict(errors or {})
    row_errors = dict(row_errors or {})
    for staff_id in row_errors.keys() - assigned:
        errors["_"] = row_errors.pop(staff_id)  # no row to show it on
    default_duty = "operator" if session.in_charge else "in_charge"
    return {
        **_common(request),
        "session": session,
        "editable": session.status in service.EDITABLE,
        "candidates": candidates,
        "duties": DUTIES,
        "assign_form": form or AssignForm(duty=default_duty),
        "errors": errors,
        "general_errors": [m for f, m in errors.items() if f not in ("staff_id", "duty")],
        "row_errors": row_errors,
    }


async def _staff_response(
    request: Request[Any, Identity, Any],
    work_session_id: int,
    *,
    form: AssignForm | None = None,
    errors: dict[str, str] | None = None,
    row_errors: dict[int, str] | None = None,
) -> Template | Redirect:
    """The answer to a staffing change.

    htmx gets the refreshed staff panel (200, errors shown in it, since htmx does not swap
    error statuses); a plain form gets a redirect on success or the page with a 422.
    """
    failed = bool(errors or row_errors)
    if wants_fragment(request, STAFF_TARGET):
        session = await _load(work_session_id)
        context = await _staff_context(
            request, session, form=form if failed else None, errors=errors, row_errors=row_errors
        )
        return _varying(page(request, "work_sessions/_staff.html", context))
    if not failed:
        redirect = Redirect(f"/work-sessions/{work_session_id}", status_code=303)
        redirect.headers["Vary"] = VARY
        return redirect
    session = await _load(work_session_id)
    context = await _staff_context(
        request, session, form=form, errors=errors, row_errors=row_errors
    )
    return _varying(page(request, "work_sessions/detail.html", context, status_code=422))


@get("/work-sessions/{work_session_id:int}", opt=READ)
async def detail(request: Request[Any, Identity, Any], work_session_id: PathId) -> Template:
    """One work session: its window, status and staff; planners assign and remove people."""
    session = await _load(work_session_id)
    return page(request, "work_sessions/detail.html", await _staff_context(request, session))


@post("/work-sessions/{work_session_id:int}/staff", opt=PLAN)
async def assign(
    request: Request[Any, Identity, Any],
    work_session_id: PathId,
    data: Annotated[AssignForm, Form],
) -> Template | Redirect:
    """Assigns someone, in charge or as an operator (op ``work_session.assign``)."""
    staff_id = _int(data.staff_id)
    errors: dict[str, str] = {}
    if staff_id is None:
        errors["staff_id"] = translate(request, N_("Choose a person."))
    if data.duty not in DUTIES:
        errors["duty"] = translate(request, N_("Choose a duty."))
    if staff_id is not None and not errors:
        op = ops.WorkSessionAssign(
            payload=ops.AssignStaff(
                work_session_id=work_session_id,
                staff_id=staff_id,
                duty=data.duty,  # type: ignore[arg-type] # checked above
            )
        )
        _, errors = await submit(request, op)
    return await _staff_response(request, work_session_id, form=data, errors=errors)


@post("/work-sessions/{work_session_id:int}/staff/{staff_id:int}/remove", opt=PLAN)
async def unassign(
    request: Request[Any, Identity, Any], work_session_id: PathId, staff_id: PathId
) -> Template | Redirect:
    """Removes someone from the session (op ``work_session.unassign``)."""
    op = ops.WorkSessionUnassign(
        payload=ops.UnassignStaff(work_session_id=work_session_id, staff_id=staff_id)
    )
    _, errors = await submit(request, op)
    if "staff_id" in errors:  # shown on that person's row
        row_errors = {staff_id: errors.pop("staff_id")}
        return await _staff_response(request, work_session_id, errors=errors, row_errors=row_errors)
    return await _staff_response(request, work_session_id, errors=errors)


ROUTES = [list_page, plan, detail, assign, unassign]
