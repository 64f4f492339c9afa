"""The one write path: every change is an op applied here, from a form or a synced batch.

``apply_op`` checks the actor's permission, refuses free text that holds a My Number or is
too long, then runs the domain's rule in one write transaction and records the op in the
audit log in that same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from server import db, db_bulk
from server.audit import service as audit
from server.auth.policy import Permission, allows
from server.common.clock import JST
from server.common.errors import OpRejected
from server.common.mynumber import MESSAGE_EN, MyNumberRefused, guard_text
from server.common.text import check_controls, free_text_fields, is_code, is_uuid
from server.headcounts import service as headcounts
from server.incidents import service as incidents
from server.messages import N_
from server.settings import FieldSettings
from server.sites import service as sites
from server.sync import ops
from server.sync.context import Actor, Applied, ApplyContext
from server.sync.keep import INVALID, op_type
from server.work_sessions import service as work_sessions

MAX_TEXT = 4000
MY_NUMBER_MESSAGE = N_(
    "This looks like a My Number (12 digits with a valid check digit), so it was not saved. "
    "Never enter a My Number."
)
assert MY_NUMBER_MESSAGE == MESSAGE_EN  # noqa: S101 - one wording on both sides


Handler = Callable[[Any, ApplyContext], Awaitable[Applied]]

PERMISSIONS: dict[str, Permission] = {
    "site.add_venue": Permission.MANAGE_SITES,
    "site.retire": Permission.MANAGE_SITES,
    "work_session.plan": Permission.PLAN_WORK,
    "work_session.assign": Permission.PLAN_WORK,
    "work_session.unassign": Permission.PLAN_WORK,
    "work_session.update": Permission.PLAN_WORK,
    "work_session.open": Permission.FIELD_WRITE,
    "work_session.close": Permission.FIELD_WRITE,
    "headcount.add": Permission.FIELD_WRITE,
    "headcount.category_add": Permission.MANAGE_SITES,
    "headcount.category_set_active": Permission.MANAGE_SITES,
    "incident.create": Permission.FIELD_WRITE,
    "incident.update": Permission.FIELD_WRITE,
}


def client_day(client_time: dt.datetime | None) -> str | None:
    """The JST day an op was made on, by the device's clock (for reconciliation)."""
    return _day_text(_day_number(client_time))


DAY_ZERO = dt.date(1970, 1, 1)
JST_SECONDS = int(JST.utcoffset(None).total_seconds())


def _day_number(client_time: dt.datetime | None) -> int | None:
    """:func:`client_day` as a number of days: a batch's hundreds of counts fall on a day
    or two, whose text is then made once each."""
    if client_time is None:
        return None
    return int((client_time.timestamp() + JST_SECONDS) // 86400)


def _day_text(number: int | None) -> str | None:
    return None if number is None else (DAY_ZERO + dt.timedelta(days=number)).isoformat()


def check_text(payload: ops.Payload) -> None:
    """Refuse free text that is too long, holds control characters (an op built by a form
    was never decoded against its type) or contains a My Number (nothing is stored).

    Raises:
        OpRejected: Naming the field.
    """
    for name in free_text_fields(type(payload)):
        value = getattr(payload, name, None)
        if not isinstance(value, str):
            continue
        if len(value) > MAX_TEXT:
            raise OpRejected(
                "too_long",
                N_("This text is too long (at most %(max)s characters)."),
                field=name,
                max=MAX_TEXT,
            )
        check_controls(name, value)
        try:
            guard_text(name, value)
        except MyNumberRefused as error:
            raise OpRejected("my_number", MY_NUMBER_MESSAGE, field=name) from error


OUT_OF_RANGE = N_("This time is outside the years 2000 to 2099.")


def check_op(op: ops.Op) -> None:
    """Refuse what decoding left to be checked when an op is applied: the op id's and a
    count's category's shapes, and times out of range (the year 9999 is on no day).

    Raises:
        OpRejected: Naming the field.
    """
    if op.op_id is not None and not is_uuid(op.op_id):
        raise OpRejected("invalid", INVALID, field="op_id", where="op_id")
    if isinstance(op, ops.HeadcountAdd) and not is_code(op.payload.category):
        raise OpRejected("invalid", INVALID, field="category", where="category")
    if op.client_time is not None and not ops.EARLIEST <= op.client_time < ops.LATEST:
        raise OpRejected("time_out_of_range", OUT_OF_RANGE, field="client_time")
    payload = op.payload
    for name in payload.moments:
        value = getattr(payload, name)
        if isinstance(value, dt.datetime) and not ops.EARLIEST <= value < ops.LATEST:
            raise OpRejected("time_out_of_range", OUT_OF_RANGE, field=name)


async def _dispatch(op: ops.Op, context: ApplyContext) -> Applied:
    match op:
        case ops.SiteAddVenue():
            return await sites.apply_add_venue(op.payload, context)
        case ops.SiteRetire():
            return await sites.apply_retire(op.payload, context)
        case ops.WorkSessionPlan():
            return await work_sessions.apply_plan(op.payload, context)
        case ops.WorkSessionAssign():
            return await work_sessions.apply_assign(op.payload, context)
        case ops.WorkSessionUnassign():
            return await work_sessions.apply_unassign(op.payload, context)
        case ops.WorkSessionOpen():
            return await work_sessions.apply_open(op.payload, context)
        case ops.WorkSessionClose():
            return await work_sessions.apply_close(op.payload, context)
        case ops.WorkSessionUpdate():
            return await work_sessions.apply_update(
                op.payload, context, base_version=op.base_version
            )
        case ops.HeadcountCategoryAdd():
            return await headcounts.apply_category_add(op.payload, context)
        case ops.HeadcountCategorySetActive():
            return await headcounts.apply_category_set_active(op.payload, context)
        case ops.IncidentCreate():
            return await incidents.apply_create(op.payload, context, device_id=op.device_id)
        case ops.IncidentUpdate():
            return await incidents.apply_update(
                op.payload, context, base_version=op.base_version, device_id=op.device_id
            )
    raise OpRejected("type_unknown", N_("Unknown kind of change."))  # pragma: no cover


async def apply_op(
    op: ops.Op,
    actor: Actor,
    field: FieldSettings,
    *,
    now: dt.datetime | None = None,
    record_conflicts: bool = False,
) -> Applied:
    """Apply one op for ``actor``: all of it, or nothing.

    Args:
        op: The op.
        actor: Who it acts for (the signed-in person, or the person a synced op names).
        field: Field-work settings.
        now: The server's clock (tests may pin it).
        record_conflicts: Keep stale edits of fields changed meanwhile as conflicts
            (synced ops) instead of refusing the op.

    Returns:
        What was changed.

    Raises:
        OpRejected: A rule refused the op; nothing changed.
    """
    check_op(op)
    if isinstance(op, ops.HeadcountAdd):
        (result,) = await apply_counts([op], actor, field, now=now)
        if isinstance(result, OpRejected):
            raise result.with_traceback(None)  # shared: see headcounts.adds._plan
        return result
    kind = op_type(op)
    if not allows(PERMISSIONS[kind], actor.role):
        raise OpRejected("forbidden", N_("Your role does not allow this."))
    check_text(op.payload)
    context = ApplyContext(
        actor=actor,
        field=field,
        now=now or dt.datetime.now(dt.UTC),
        record_conflicts=record_conflicts,
        device_id=op.device_id,
    )
    async with db.writing():
        applied = await _dispatch(op, context)
        await audit.record(
            kind,
            actor_id=actor.staff_id,
            device_id=op.device_id,
            target=applied.target,
            detail=_op_detail(op, actor),
            at=context.now,
        )
    return applied


async def apply_counts(
    counts: list[ops.HeadcountAdd],
    actor: Actor,
    field: FieldSettings,
    *,
    now: dt.datetime | None = None,
    audit_later: list[audit.Entry] | None = None,
) -> list[Applied | OpRejected]:
    """Apply ``headcount.add`` ops in order: the rule of :func:`apply_op`, at batch speed.

    The counts applied are audited together, one entry per work session, device and day
    naming every op id, in the same transaction (one entry per count would double the rows
    a count writes). On PostgreSQL the entries go in with the counts, in their statement.

    Args:
        counts: The ops, in the order they were made.
        actor: Who they act for.
        field: Field-work settings.
        now: The server's clock (tests may pin it).
        audit_later: Where to leave the audit entries not appended with the counts (all
            of them on SQLite); the caller must append them in the same transaction,
            before any other entry. A push appends them last, so the chain's head stays
            locked only for the end of its transaction.

    Returns:
        Per op, what it changed or why it was refused (refused ones change nothing).
    """
    if not allows(PERMISSIONS["headcount.add"], actor.role):
        return [OpRejected("forbidden", N_("Your role does not allow this."))] * len(counts)
    context = ApplyContext(actor=actor, field=field, now=now or dt.datetime.now(dt.UTC))
    async with db.writing():
        adds = await headcounts.apply_adds(
            counts, context, lambda results: _count_entries(counts, results, context)
        )
        if not adds.audited:
            entries = _count_entries(counts, adds.results, context)
            if audit_later is None:
                await audit.record_many(entries)
            else:
                audit_later.extend(entries)
    return adds.results


async def apply_counts_at_once(
    prepared: headcounts.Prepared,
    counts: list[ops.HeadcountAdd],
    actor: Actor,
    field: FieldSettings,
    guard: db_bulk.Guard,
    *,
    now: dt.datetime,
) -> bool:
    """PostgreSQL, outside a transaction: the rule of :func:`apply_counts` for counts that
    only add, written with their audit entries in one statement under ``guard``.

    Args:
        prepared: What the counts are checked against (``headcounts.prepare_adds``).
        counts: The ops, in the order they were made.
        actor: Who they act for.
        field: Field-work settings.
        guard: The caller's own write in the same statement, and its condition.
        now: The server's clock.

    Returns:
        Whether every one was applied; False, with nothing written under the guard, when
        they would not all go in (then :func:`apply_counts` keeps each outcome).
    """
    if not allows(PERMISSIONS["headcount.add"], actor.role):
        return False
    context = ApplyContext(actor=actor, field=field, now=now)
    adds = await headcounts.apply_prepared(
        prepared,
        counts,
        context,
        lambda results: _count_entries(counts, results, context),
        guard,
    )
    return adds is not None


def _count_entries(
    counts: list[ops.HeadcountAdd], results: list[Applied | OpRejected], context: ApplyContext
) -> list[audit.Entry]:
    """The audit entries of a run of counts: one per work session, device and day."""
    groups: dict[tuple[str, str | None, int | None], list[str | None]] = {}
    for op, result in zip(counts, results, strict=True):
        if isinstance(result, Applied):
            key = (result.target, op.device_id, _day_number(op.client_time))
            groups.setdefault(key, []).append(op.op_id)
    return [
        audit.Entry(
            action="headcount.add",
            actor_id=context.actor.staff_id,
            device_id=device_id,
            target=target,
            detail=_count_detail(op_ids, _day_text(day), context.actor.uploaded_by),
            at=context.now,
        )
        for (target, device_id, day), op_ids in groups.items()
    ]


def _op_detail(op: ops.Op, actor: Actor) -> dict[str, object] | None:
    detail: dict[str, object] = {}
    if op.op_id:
        detail.update(op_id=op.op_id, day=client_day(op.client_time))
    if actor.uploaded_by is not None:
        detail["uploaded_by"] = actor.uploaded_by
    return detail or None


def _count_detail(
    op_ids: list[str | None], day: str | None, uploaded_by: int | None
) -> dict[str, object] | None:
    named = [i for i in op_ids if i]
    detail: dict[str, object] = {"count": len(op_ids)}
    if named:
        detail.update(day=day, op_ids=named)
    if uploaded_by is not None:
        detail["uploaded_by"] = uploaded_by
    return None if detail == {"count": 1} else detail
