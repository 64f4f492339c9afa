"""Counts applied as a run, with their audit entries: the rule of ``apply_op`` for
``headcount.add`` at batch speed (a synced batch brings hundreds of counts)."""

from __future__ import annotations

import datetime as dt

from server import db, db_bulk
from server.audit import service as audit
from server.auth.policy import Permission, allows
from server.common.errors import OpRejected
from server.headcounts.adds import Prepared, apply_adds, apply_prepared
from server.headcounts.ops import HeadcountAdd
from server.ops.apply import FORBIDDEN, day_number, day_text
from server.ops.context import Actor, Applied, ApplyContext
from server.settings import FieldSettings

PERMISSION = Permission.FIELD_WRITE


async def apply_one(
    op: HeadcountAdd, actor: Actor, field: FieldSettings, now: dt.datetime | None
) -> Applied:
    """One count through :func:`apply_counts` (the registry's ``whole`` for a count).

    Raises:
        OpRejected: A rule refused it; nothing changed.
    """
    (result,) = await apply_counts([op], actor, field, now=now)
    if isinstance(result, OpRejected):
        raise result.with_traceback(None)  # shared: see adds._plan
    return result


async def apply_counts(
    counts: list[HeadcountAdd],
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
    if not allows(PERMISSION, actor.role):
        return [OpRejected("forbidden", FORBIDDEN)] * len(counts)
    context = ApplyContext(actor=actor, field=field, now=now or dt.datetime.now(dt.UTC))
    async with db.writing():
        adds = await apply_adds(
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
    prepared: Prepared,
    counts: list[HeadcountAdd],
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
    if not allows(PERMISSION, actor.role):
        return False
    context = ApplyContext(actor=actor, field=field, now=now)
    adds = await apply_prepared(
        prepared,
        counts,
        context,
        lambda results: _count_entries(counts, results, context),
        guard,
    )
    return adds is not None


def _count_entries(
    counts: list[HeadcountAdd], results: list[Applied | OpRejected], context: ApplyContext
) -> list[audit.Entry]:
    """The audit entries of a run of counts: one per work session, device and day."""
    groups: dict[tuple[str, str | None, int | None], list[str | None]] = {}
    for op, result in zip(counts, results, strict=True):
        if isinstance(result, Applied):
            key = (result.target, op.device_id, day_number(op.client_time))
            groups.setdefault(key, []).append(op.op_id)
    return [
        audit.Entry(
            action="headcount.add",
            actor_id=context.actor.staff_id,
            device_id=device_id,
            target=target,
            detail=_count_detail(op_ids, day_text(day), context.actor.uploaded_by),
            at=context.now,
        )
        for (target, device_id, day), op_ids in groups.items()
    ]


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
