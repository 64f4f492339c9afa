"""Rules of work sessions and staffing.

An open session has exactly one person in charge (a business or deputy manager) who is not
also counted as an operator; nobody works two overlapping sessions; deactivated people
cannot be assigned; a session cannot open or close with nobody in charge; closed and locked
sessions are not edited. Only its staff or a manager start or finish a session, on its work
date (a manager may say why not); a manager may reopen a finished one, saying why
(:mod:`server.work_sessions.transitions`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from server.auth.policy import CONTRACTOR, Permission
from server.common.clock import JST
from server.common.errors import OpRejected
from server.messages import N_
from server.ops import merge
from server.ops.context import Applied, ApplyContext, Conflict
from server.ops.registry import Kind
from server.sites import service as sites
from server.staff.tables import Staff
from server.work_sessions import checks, ops, planning, transitions
from server.work_sessions.checks import STOCK_GROUP as STOCK_GROUP
from server.work_sessions.checks import checklist as checklist
from server.work_sessions.reads import from_rows as from_rows
from server.work_sessions.reads import get as get
from server.work_sessions.reads import get_many as get_many
from server.work_sessions.reads import get_many_as_tuples as get_many_as_tuples
from server.work_sessions.reads import many_query as many_query
from server.work_sessions.reads import search as search
from server.work_sessions.schemas import CheckLine, SessionChecks, WorkSessionOut
from server.work_sessions.tables import WorkSession, WorkSessionRevision, WorkSessionStaff
from server.work_sessions.transitions import on_work_date as on_work_date
from server.work_sessions.transitions import works_on as works_on

IN_CHARGE_ROLES = frozenset({"business_manager", "deputy_manager"})
EDITABLE = frozenset({"planned", "open"})
MAX_WINDOW = dt.timedelta(hours=16)


async def _load(work_session_id: int, *, editable: bool = True) -> WorkSessionOut:
    session = await get(work_session_id)
    if session is None:
        raise OpRejected("session_unknown", N_("No such work session."), field="work_session_id")
    if editable and session.status not in EDITABLE:
        raise OpRejected(
            "session_closed",
            N_("This work session is closed or locked and cannot be changed."),
            field="work_session_id",
        )
    return session


async def _bump(
    session: WorkSessionOut,
    values: dict[Any, Any],
    context: ApplyContext,
    *,
    touched: tuple[str, ...] = (),
    reason: str = "",
) -> int:
    """Write ``values`` as the next version and note which fields changed (for merging),
    with the reason a manager gave for it."""
    version = session.version + 1
    await WorkSession.update(
        {**values, WorkSession.version: version, WorkSession.updated_at: context.now}
    ).where(WorkSession._meta.primary_key == session.id)
    fields = sorted({column._meta.name for column in values} | set(touched))
    await WorkSessionRevision.insert(
        WorkSessionRevision(
            work_session=session.id,
            version=version,
            fields=msgspec.json.encode(fields).decode(),
            actor_id=context.actor.staff_id,
            device_id=context.device_id,
            at=context.now,
            reason=reason,
        )
    )
    return version


def _check_window(start: dt.datetime, end: dt.datetime) -> None:
    if end <= start:
        raise OpRejected(
            "window_invalid", N_("The end must be after the start."), field="planned_end"
        )
    if end - start > MAX_WINDOW:
        raise OpRejected(
            "window_invalid", N_("A work session lasts at most 16 hours."), field="planned_end"
        )


async def apply_plan(payload: ops.PlanWorkSession, context: ApplyContext) -> Applied:
    """Apply ``work_session.plan``: on an open day of the site, within its hours, not in
    the past and overlapping no other session there (:mod:`server.work_sessions.planning`)."""
    site = await sites.get_site(payload.site_id)
    if site is None or not site.active:
        raise OpRejected("site_unknown", N_("No such site."), field="site_id")
    _check_window(payload.planned_start, payload.planned_end)
    if payload.planned_start.astimezone(JST).date() != payload.work_date:
        raise OpRejected(
            "date_mismatch",
            N_("The start must be on the work date."),
            field="planned_start",
        )
    await sites.lock(site.id)
    await planning.check_plan(
        site,
        payload.work_date,
        payload.planned_start,
        payload.planned_end,
        context,
        allow_overlap=payload.allow_overlap,
    )
    rows = await WorkSession.insert(
        WorkSession(
            site=site.id,
            work_date=payload.work_date,
            planned_start=payload.planned_start,
            planned_end=payload.planned_end,
            notes=payload.notes.strip(),
            created_by=context.actor.staff_id,
            updated_at=context.now,
        )
    ).returning(WorkSession._meta.primary_key)
    session_id = int(rows[0]["id"])
    return Applied(target=f"work_session:{session_id}", entity_id=session_id, version=1)


async def _overlapping(staff_id: int, session: WorkSessionOut) -> bool:
    mine = WorkSessionStaff.select(WorkSessionStaff.work_session).where(
        WorkSessionStaff.staff == staff_id
    )
    return bool(
        await WorkSession.exists().where(
            WorkSession._meta.primary_key.is_in(mine)
            & (WorkSession._meta.primary_key != session.id)
            & (WorkSession.planned_start < session.planned_end)
            & (WorkSession.planned_end > session.planned_start)
        )
    )


async def lock_row(work_session_id: int) -> None:
    """Take the session row's lock first, so concurrent staffing changes check in turn
    (PostgreSQL; SQLite's write transaction is already exclusive)."""
    await WorkSession.update({WorkSession.version: WorkSession.version}).where(
        WorkSession._meta.primary_key == work_session_id
    )


async def apply_assign(payload: ops.AssignStaff, context: ApplyContext) -> Applied:
    """Apply ``work_session.assign``."""
    await lock_row(payload.work_session_id)
    session = await _load(payload.work_session_id)
    person = (
        await Staff.select(Staff.role, Staff.active)
        .where(Staff._meta.primary_key == payload.staff_id)
        .first()
    )
    if person is None:
        raise OpRejected("staff_unknown", N_("No such person."), field="staff_id")
    if not person["active"]:
        raise OpRejected(
            "staff_inactive", N_("Deactivated staff cannot be assigned."), field="staff_id"
        )
    if person["role"] not in CONTRACTOR:
        raise OpRejected(
            "not_contractor",
            N_("City staff cannot be assigned to work sessions."),
            field="staff_id",
        )
    if any(a.staff_id == payload.staff_id for a in session.staff):
        raise OpRejected(
            "already_assigned",
            N_("This person is already in this work session."),
            field="staff_id",
        )
    if payload.duty == "in_charge":
        if person["role"] not in IN_CHARGE_ROLES:
            raise OpRejected(
                "not_a_manager",
                N_("The person in charge must be a business manager or a deputy."),
                field="staff_id",
            )
        if session.in_charge is not None:
            raise OpRejected(
                "in_charge_taken",
                N_("This work session already has a person in charge."),
                field="duty",
            )
    if await _overlapping(payload.staff_id, session):
        raise OpRejected(
            "overlap",
            N_("This person works another session at an overlapping time."),
            field="staff_id",
        )
    await WorkSessionStaff.insert(
        WorkSessionStaff(work_session=session.id, staff=payload.staff_id, duty=payload.duty)
    )
    version = await _bump(session, {}, context, touched=("staff",))
    return Applied(target=f"work_session:{session.id}", entity_id=session.id, version=version)


async def apply_unassign(payload: ops.UnassignStaff, context: ApplyContext) -> Applied:
    """Apply ``work_session.unassign``."""
    session = await _load(payload.work_session_id)
    current = next((a for a in session.staff if a.staff_id == payload.staff_id), None)
    if current is None:
        raise OpRejected(
            "not_assigned", N_("This person is not in this work session."), field="staff_id"
        )
    if current.duty == "in_charge" and session.status == "open":
        raise OpRejected(
            "in_charge_required",
            N_("An open work session needs a person in charge."),
            field="staff_id",
        )
    await WorkSessionStaff.delete().where(
        (WorkSessionStaff.work_session == session.id) & (WorkSessionStaff.staff == payload.staff_id)
    )
    version = await _bump(session, {}, context, touched=("staff",))
    return Applied(target=f"work_session:{session.id}", entity_id=session.id, version=version)


ALREADY_OPEN = OpRejected("already_open", N_("This work session is already open."))
NOT_OPEN = OpRejected("not_open", N_("Only an open work session can be closed."))
OPEN_UNSTAFFED = OpRejected(
    "in_charge_required", N_("An open work session needs a person in charge."), field="staff"
)
CLOSE_UNSTAFFED = OpRejected(
    "in_charge_required", N_("A work session cannot close with nobody in charge."), field="staff"
)


async def _in_state(
    session_id: int, status: str, wrong_state: OpRejected, unstaffed: OpRejected
) -> WorkSessionOut:
    """The session, if it is in ``status`` and has someone in charge (shared refusals are
    raised without the traceback they gathered last time)."""
    session = await _load(session_id, editable=status in EDITABLE)
    if session.status != status:
        raise wrong_state.with_traceback(None)
    if session.in_charge is None:
        raise unstaffed.with_traceback(None)
    return session


async def apply_open(payload: ops.OpenWorkSession, context: ApplyContext) -> Applied:
    """Apply ``work_session.open``."""
    session = await _in_state(payload.work_session_id, "planned", ALREADY_OPEN, OPEN_UNSTAFFED)
    transitions.check_works_on(session, context.actor)
    reason = transitions.check_start_day(session, payload, context)
    if payload.checks is not None or payload.stock_start is not None:
        checked = payload.checks or []
        await checks.record(session, "open", checked, context, stock_start=payload.stock_start)
    return await _move(
        session,
        {WorkSession.status: "open", WorkSession.actual_start: payload.at},
        context,
        reason=reason,
    )


async def apply_close(payload: ops.CloseWorkSession, context: ApplyContext) -> Applied:
    """Apply ``work_session.close``."""
    session = await _in_state(payload.work_session_id, "open", NOT_OPEN, CLOSE_UNSTAFFED)
    transitions.check_works_on(session, context.actor)
    if session.actual_start is not None and payload.at < session.actual_start:
        raise OpRejected("end_before_start", N_("The end must be after the start."), field="at")
    if payload.checks is not None or payload.stock is not None:
        await checks.record(session, "close", payload.checks or [], context, stock=payload.stock)
    return await _move(
        session, {WorkSession.status: "closed", WorkSession.actual_end: payload.at}, context
    )


async def apply_reopen(payload: ops.ReopenWorkSession, context: ApplyContext) -> Applied:
    """Apply ``work_session.reopen`` (managers only, by its kind's permission): a finished
    session is open again, its end forgotten; the reason is kept with its revision."""
    wrong_state = transitions.NOT_CLOSED
    session = await _in_state(payload.work_session_id, "closed", wrong_state, OPEN_UNSTAFFED)
    reason = transitions.reopen_reason(payload)
    return await _move(
        session, {WorkSession.status: "open", WorkSession.actual_end: None}, context, reason=reason
    )


async def _move(
    session: WorkSessionOut,
    values: dict[Any, Any],
    context: ApplyContext,
    *,
    reason: str = "",
) -> Applied:
    """Move a session to another state (its status and the moment it changed); a manager's
    reason stays with the revision, out of the audit log (its entries are never removed)."""
    version = await _bump(session, values, context, reason=reason)
    return Applied(target=f"work_session:{session.id}", entity_id=session.id, version=version)


UPDATABLE = ("notes", "planned_start", "planned_end")


async def apply_update(
    payload: ops.UpdateWorkSession, context: ApplyContext, *, base_version: int | None = None
) -> Applied:
    """Apply ``work_session.update``: only the fields given, merged per field when the edit
    was made from an older version (see :mod:`server.ops.merge`)."""
    session = await _load(payload.work_session_id)
    wanted = {f: getattr(payload, f) for f in UPDATABLE if getattr(payload, f) is not msgspec.UNSET}
    if "notes" in wanted:
        wanted["notes"] = wanted["notes"].strip()
    changes = {f: [getattr(session, f), v] for f, v in wanted.items() if getattr(session, f) != v}
    conflicts: list[Conflict] = []
    if base_version is not None and base_version < session.version:
        since = await WorkSessionRevision.select(
            WorkSessionRevision.fields, WorkSessionRevision.device_id
        ).where(
            (WorkSessionRevision.work_session == session.id)
            & (WorkSessionRevision.version > base_version)
        )
        touched = merge.touched_since(
            ((msgspec.json.decode(r["fields"]), r["device_id"]) for r in since), context.device_id
        )
        conflicts = merge.split_conflicts(changes, touched, context)
    start = changes.get("planned_start", [None, session.planned_start])[1]
    end = changes.get("planned_end", [None, session.planned_end])[1]
    _check_window(start, end)
    if "planned_start" in changes or "planned_end" in changes:
        await planning.check_new_times(
            session.site_id,
            session.work_date,
            start,
            end,
            session.id,
            allow_overlap=payload.allow_overlap,
        )
    target = f"work_session:{session.id}"
    if not changes:
        return Applied(
            target=target, entity_id=session.id, version=session.version, conflicts=conflicts
        )
    values = {getattr(WorkSession, f): new for f, (_, new) in changes.items()}
    version = await _bump(session, values, context)
    return Applied(target=target, entity_id=session.id, version=version, conflicts=conflicts)


async def checks_of(session_ids: list[int]) -> dict[int, SessionChecks]:
    """The opening and closing checks recorded for these sessions (:mod:`.checks`)."""
    return await checks.of_sessions(session_ids)


async def checklist_with_retired(group: str, phase: str) -> list[tuple[CheckLine, bool]]:
    """A checklist's every line, retired ones too, each with whether it is in use."""
    return await checks.all_lines(group, phase)  # type: ignore[arg-type]


async def check_lines(group: str) -> dict[str, CheckLine]:
    """Every line of a group's checklists, retired ones too, by code."""
    return await checks.lines_of(group)


PLAN = Permission.PLAN_WORK
FIELD = Permission.FIELD_WRITE
KINDS = (
    Kind(ops.WorkSessionPlan, PLAN, lambda op, c: apply_plan(op.payload, c)),
    Kind(ops.WorkSessionAssign, PLAN, lambda op, c: apply_assign(op.payload, c)),
    Kind(ops.WorkSessionUnassign, PLAN, lambda op, c: apply_unassign(op.payload, c)),
    Kind(
        ops.WorkSessionUpdate,
        PLAN,
        lambda op, c: apply_update(op.payload, c, base_version=op.base_version),
    ),
    Kind(ops.WorkSessionOpen, FIELD, lambda op, c: apply_open(op.payload, c)),
    Kind(ops.WorkSessionClose, FIELD, lambda op, c: apply_close(op.payload, c)),
    Kind(ops.WorkSessionReopen, PLAN, lambda op, c: apply_reopen(op.payload, c)),
    Kind(
        ops.CheckItemAdd,
        Permission.MANAGE_SITES,
        lambda op, c: checks.apply_add_item(op.payload, c),
        synced=False,
    ),
    Kind(
        ops.CheckItemSetActive,
        Permission.MANAGE_SITES,
        lambda op, c: checks.apply_set_item_active(op.payload, c),
        synced=False,
    ),
)
"""The work session ops and the rules that apply them (installed by :mod:`server.domains`)."""
