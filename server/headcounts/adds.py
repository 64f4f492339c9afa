"""Applying counts: a run of ``headcount.add`` ops checked in Python, stored in one step.

A synced batch brings hundreds of counts. Each is checked here (delta, session open,
category, slot, and for a correction the total it would lower), then the run is inserted
with its running sums in ``headcount_cell`` in one or two statements. The per-count work
is a few dictionary lookups: sessions, their slot windows and categories are read once
per run, and results are shared objects.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from piccolo.querystring import QueryString

from server import db, db_bulk
from server.audit import service as audit
from server.common.errors import OpRejected
from server.headcounts import categories
from server.headcounts import store as headcount_store
from server.headcounts.ops import AddHeadcount
from server.headcounts.schemas import Increment
from server.headcounts.slots import session_slots
from server.headcounts.store import OP_ID, store
from server.messages import N_
from server.ops.context import Applied, ApplyContext
from server.work_sessions import service as work_sessions
from server.work_sessions.schemas import WorkSessionOut

MAX_DELTA = 100
REUSED = OpRejected("op_id_reused", N_("This change's id was already used."))
DELTA_INVALID = OpRejected(
    "delta_invalid",
    N_("A count must be between -%(max)s and %(max)s and not zero."),
    field="delta",
    max=MAX_DELTA,
)
SESSION_UNKNOWN = OpRejected(
    "session_unknown", N_("No such work session."), field="work_session_id"
)
SESSION_NOT_OPEN = OpRejected(
    "session_not_open",
    N_("Counts can only be recorded while the work session is open."),
    field="work_session_id",
)
CATEGORY_UNKNOWN = OpRejected("category_unknown", N_("Unknown category."), field="category")
SLOT_OUTSIDE = OpRejected(
    "slot_outside", N_("This time slot is outside the work session."), field="slot_start"
)
BELOW_ZERO = OpRejected("below_zero", N_("A total cannot go below zero."), field="delta")


class _Session:
    """What counts into one session are checked against, and their shared result."""

    __slots__ = ("applied", "codes", "id", "open", "slots")

    def __init__(self, session: WorkSessionOut, codes: set[str], slot_minutes: int) -> None:
        self.id = session.id
        self.open = session.status == "open"
        self.codes = codes
        self.slots = set(session_slots(session, slot_minutes))
        self.applied = Applied(target=f"work_session:{session.id}", entity_id=session.id)


class _Run:
    """What a run of counts has learnt: its sessions, slots seen, and totals so far."""

    def __init__(self, sessions: dict[int, _Session], corrections: bool) -> None:
        self.sessions = sessions
        self.corrections = corrections
        # Each distinct slot start the run names, and the same instant in UTC.
        self.utc: dict[dt.datetime, dt.datetime] = {}
        self.stored: dict[int, dict[str, int]] = {}
        self.pending: dict[int, dict[str, int]] = {}

    def check(self, payload: AddHeadcount) -> tuple[_Session, dt.datetime]:
        """The count's session and slot (UTC), or why it is refused.

        Raises:
            OpRejected: The rule the count breaks.
        """
        if payload.delta == 0 or not -MAX_DELTA <= payload.delta <= MAX_DELTA:
            raise DELTA_INVALID
        session = self.sessions.get(payload.work_session_id)
        if session is None:
            raise SESSION_UNKNOWN
        if not session.open:
            raise SESSION_NOT_OPEN
        if payload.category not in session.codes:
            raise CATEGORY_UNKNOWN
        slot = self.utc.get(payload.slot_start)
        if slot is None:
            slot = self.utc[payload.slot_start] = payload.slot_start.astimezone(dt.UTC)
        if slot not in session.slots:
            raise SLOT_OUTSIDE
        return session, slot

    async def total(self, session_id: int, category: str) -> int:
        """A category's total so far: what is stored (read once, under the session row's
        lock, so two corrections from two devices cannot both pass) plus this run's."""
        stored = self.stored.get(session_id)
        if stored is None:
            await work_sessions.lock_row(session_id)
            stored = self.stored[session_id] = await headcount_store.stored_totals(session_id)
        return stored.get(category, 0) + self.pending.get(session_id, {}).get(category, 0)

    def add(self, session_id: int, category: str, delta: int) -> None:
        """Count an accepted increment in this run's totals."""
        pending = self.pending.setdefault(session_id, {})
        pending[category] = pending.get(category, 0) + delta


async def _read(
    session_ids: set[int], slot_minutes: int, *also: QueryString
) -> tuple[dict[int, _Session], list[list[dict[str, Any]]]]:
    """What counts into these sessions are checked against: the sessions, their slot
    windows and the categories counted at their kind of site; and the rows of ``also``,
    a caller's own queries (all read together: one round trip on PostgreSQL)."""
    session_rows, code_rows, *more = await db.fetch_many(
        work_sessions.many_query(session_ids), headcount_store.ACTIVE_CODES, *also
    )
    codes = categories.codes_by_group(code_rows)
    sessions = {
        key: _Session(session, codes.get(session.counted_as, set()), slot_minutes)
        for key, session in work_sessions.from_rows(session_rows).items()
    }
    return sessions, more


class Adds(NamedTuple):
    """What :func:`apply_adds` did: per count, what it changed or why it was refused; and
    whether the audit entries asked for were appended with the counts."""

    results: list[Applied | OpRejected]
    audited: bool


AuditOf = Callable[[list[Applied | OpRejected]], list[audit.Entry]]


async def apply_adds(
    increments: Sequence[Increment], context: ApplyContext, audit_of: AuditOf | None = None
) -> Adds:
    """Apply ``headcount.add`` ops in order: each one increment, or a correction that keeps
    its category's total at or above zero.

    A run of counts (a synced batch) costs a few queries and one insert per 500 rows, not
    several statements per count; a form's single count takes the same path.

    Args:
        increments: The counts, in the order they were made.
        context: Actor, settings and the server's clock.
        audit_of: The audit entries of an outcome. On PostgreSQL they are appended in the
            counts' own statement (one round trip fewer) unless a count's id turns out to
            be taken; ``audited`` says whether they were.

    Returns:
        The outcome (refused counts change nothing).
    """
    corrections = any(i.payload.delta < 0 for i in increments)
    wanted = {i.payload.work_session_id for i in increments}
    sessions, _ = await _read(wanted, context.field.slot_minutes)
    run = _Run(sessions, corrections)
    # Corrections are checked against totals that include this run's earlier counts; if
    # one of those turns out to reuse a stored id, the run is planned again without it.
    savepoint = await db.savepoint() if corrections else None
    taken: set[str] = set()
    while True:
        results, rows = await _plan(run, increments, taken)
        entries = functools.partial(audit_of, results) if audit_of is not None else None
        stored = await store(rows, context.actor.staff_id, context.now, entries)
        missing = {
            row[OP_ID] for row in rows if row[OP_ID] is not None and row[OP_ID] not in stored.ids
        }
        if not missing:
            break
        taken |= missing
        if savepoint is None:
            results = [
                REUSED if isinstance(r, Applied) and i.op_id in missing else r
                for i, r in zip(increments, results, strict=True)
            ]
            break
        await savepoint.rollback_to()
    if savepoint is not None:
        await savepoint.release()
    return Adds(results, stored.audited)


class Prepared(NamedTuple):
    """A run of counts read for :func:`apply_prepared`, and the rows of the caller's own
    queries read with it."""

    run: _Run
    also: list[list[dict[str, Any]]]


async def prepare_adds(
    increments: Sequence[Increment], slot_minutes: int, *also: QueryString
) -> Prepared:
    """Read what a run of counts is checked against, and the caller's queries ``also``,
    together (one round trip on PostgreSQL)."""
    wanted = {i.payload.work_session_id for i in increments}
    sessions, more = await _read(wanted, slot_minutes, *also)
    return Prepared(_Run(sessions, corrections=False), more)


async def apply_prepared(
    prepared: Prepared,
    increments: Sequence[Increment],
    context: ApplyContext,
    audit_of: AuditOf,
    guard: db_bulk.Guard,
) -> Adds | None:
    """PostgreSQL, outside a transaction: counts that only add (no corrections), checked
    as :func:`apply_adds` checks them and written with their audit entries in one
    statement under the caller's guard, which commits on its own.

    Args:
        prepared: What :func:`prepare_adds` read for these counts.
        increments: The counts, in the order they were made.
        context: Actor, settings and the server's clock.
        audit_of: The audit entries of the outcome.
        guard: The caller's own write and the condition the counts go in under.

    Returns:
        The outcome, every count applied and audited; or None, with nothing written
        under the guard, when the run would not go in whole (a count refused or a
        correction, an id already stored, the guard false). The caller then applies the
        counts its usual way, which keeps each outcome.
    """
    if not increments or any(i.payload.delta < 0 for i in increments):
        return None
    results, rows = await _plan(prepared.run, increments, set())
    if len(rows) != len(increments):
        return None
    entries = functools.partial(audit_of, results)
    stored = await store(rows, context.actor.staff_id, context.now, entries, guard)
    return Adds(results, stored.audited) if stored.held else None


async def _plan(
    run: _Run, increments: Sequence[Increment], taken: set[str]
) -> tuple[list[Applied | OpRejected], list[tuple[Any, ...]]]:
    """Check each count in order; the rows to insert and every count's outcome."""
    run.pending.clear()
    taken = set(taken)
    results: list[Applied | OpRejected] = []
    rows: list[tuple[Any, ...]] = []
    for increment in increments:
        payload, op_id = increment.payload, increment.op_id
        try:
            if op_id is not None and op_id in taken:
                # An id already used by another op (a client bug): refuse this one alone.
                raise REUSED
            session, slot = run.check(payload)
            if payload.delta < 0 and await run.total(session.id, payload.category) < -payload.delta:
                raise BELOW_ZERO
        except OpRejected as refused:
            # The refusals are shared instances, and each raise adds to the traceback one
            # already holds: cleared here, or it would keep every frame it ever left.
            results.append(refused.with_traceback(None))
            continue
        if run.corrections:
            run.add(session.id, payload.category, payload.delta)
        if op_id is not None:
            taken.add(op_id)
        rows.append((session.id, slot, payload.category, payload.delta, increment.device_id, op_id))
        results.append(session.applied)
    return results, rows
