"""Applying counts: a run of ``headcount.add`` ops checked in Python, stored in one step.

A synced batch brings hundreds of counts. Each is checked here (delta, session open,
category, slot, and for a correction the total it would lower), then the run is inserted
with its running sums in ``headcount_cell`` in one or two statements. The per-count work
is a few dictionary lookups: sessions, their slot windows and categories are read once
per run, and results are shared objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from piccolo.engine.sqlite import convert_datetime_in

from server import db
from server.audit import service as audit
from server.common.errors import OpRejected
from server.headcounts import categories
from server.headcounts.schemas import Increment
from server.headcounts.slots import session_slots
from server.messages import N_
from server.sites.service import site_group
from server.sync.context import Applied, ApplyContext
from server.sync.ops import AddHeadcount
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
            rows = await db.fetch(
                "SELECT category, SUM(n) AS n FROM headcount_cell WHERE work_session = {} "
                "GROUP BY category",
                session_id,
            )
            stored = self.stored[session_id] = {r["category"]: int(r["n"]) for r in rows}
        return stored.get(category, 0) + self.pending.get(session_id, {}).get(category, 0)

    def add(self, session_id: int, category: str, delta: int) -> None:
        """Count an accepted increment in this run's totals."""
        pending = self.pending.setdefault(session_id, {})
        pending[category] = pending.get(category, 0) + delta


async def _sessions(session_ids: set[int], slot_minutes: int) -> dict[int, _Session]:
    """What counts into these sessions are checked against: the sessions, their slot
    windows and the categories counted at their kind of site (read together)."""
    session_rows, code_rows = await db.fetch_many(
        work_sessions.many_query(session_ids), categories.ACTIVE_CODES
    )
    codes = categories.codes_by_group(code_rows)
    return {
        key: _Session(session, codes.get(site_group(session.site_kind), set()), slot_minutes)
        for key, session in work_sessions.from_rows(session_rows).items()
    }


# What differs between a run's counts; the actor and the server's time are the run's own.
COLUMNS: db.Columns = (
    ("work_session", "integer"),
    ("slot_start", "timestamptz"),
    ("category", "text"),
    ("delta", "integer"),
    ("device_id", "text"),
    ("op_id", "text"),
)
OP_ID = 5
# The columns of a stored count: what differs between a run's counts, then the run's own.
STORED: db.Columns = (*COLUMNS, ("actor_id", "integer"), ("created_at", "timestamptz"))
# The inserted counts' sums added to their cells, in the counts' transaction: a run's
# counts fall in a few cells. In key order: two devices' pushes to one session lock the
# same cells in the same order, so they queue instead of deadlocking (PostgreSQL).
ADD_TO_CELLS = (
    "INSERT INTO headcount_cell (work_session, slot_start, category, n) "
    "SELECT work_session, slot_start, category, SUM(delta) FROM {source} "
    "GROUP BY work_session, slot_start, category ORDER BY work_session, slot_start, category "
    "ON CONFLICT (work_session, slot_start, category) "
    "DO UPDATE SET n = headcount_cell.n + excluded.n"
)
SKIP_REUSED = "ON CONFLICT (op_id) DO NOTHING"
INSERT_PG = (
    f"INSERT INTO headcount ({', '.join(name for name, _ in STORED)}) "  # noqa: S608 - constants
    f"SELECT r.*, {{}}::integer, {{}}::timestamptz FROM {db.json_recordset(COLUMNS)} "
    f"{SKIP_REUSED} RETURNING work_session, slot_start, category, delta, op_id"
)
# The condition of an audit append in the same statement: every count went in. Asking
# for the cells too makes them be added before the chain's head is locked, in the order
# the counts' statement and then the audit's took their locks when they were two.
ALL_IN = "(SELECT count(*) FROM added) = {} AND (SELECT count(*) FROM cells) >= 0"


async def _store(
    rows: list[tuple[Any, ...]],
    actor_id: int,
    now: dt.datetime,
    entries: list[audit.Entry],
) -> tuple[set[str], bool]:
    """Insert the rows (:data:`COLUMNS`) by ``actor_id`` at ``now`` and add them to their
    cells; an op id already stored is skipped, not an error. On PostgreSQL ``entries`` are
    appended to the audit log in the same statement, if every row went in.

    Returns:
        The op ids inserted, and whether ``entries`` were appended.
    """
    if not rows:
        return set(), False
    if db.is_postgres():
        return await _store_pg(rows, actor_id, now, entries)
    # The run's few slot starts and its one server time, turned into SQLite's text once
    # each (the same function the driver calls on every datetime argument).
    texts = {slot: convert_datetime_in(slot) for slot in {row[1] for row in rows}}
    created = convert_datetime_in(now)
    values = [
        (session, texts[slot], category, delta, device_id, op_id, actor_id, created)
        for session, slot, category, delta, device_id, op_id in rows
    ]
    # The write lock is held: rows numbered after the highest id are this run's.
    before = (await db.fetch("SELECT COALESCE(MAX(id), 0) AS id FROM headcount"))[0]["id"]
    written = await db.insert_many("headcount", STORED, values, suffix=SKIP_REUSED)
    # By rowid, not by the session's index (the planner's choice for the GROUP BY, which
    # read every count of the session); the WHERE also settles SQLite's parsing of an
    # upsert in INSERT … SELECT.
    await db.fetch(ADD_TO_CELLS.format(source="headcount NOT INDEXED WHERE id > {}"), before)
    if written == len(rows):
        return {op_id for *_, op_id in rows if op_id is not None}, False
    found = await db.fetch(
        "SELECT op_id FROM headcount WHERE id > {} AND op_id IS NOT NULL", before
    )
    return {str(r["op_id"]) for r in found}, False


async def _store_pg(
    rows: list[tuple[Any, ...]], actor_id: int, now: dt.datetime, entries: list[audit.Entry]
) -> tuple[set[str], bool]:
    """:func:`_store` on PostgreSQL: one round trip for the counts, their cells, the op ids
    written and the audit entries."""
    ctes = [
        f"added AS ({INSERT_PG})",
        f"cells AS ({ADD_TO_CELLS.format(source='added')} RETURNING 1)",
    ]
    args: list[Any] = [actor_id, now, db.json_rows(COLUMNS, rows)]
    last = ""
    if entries:
        appended, more = audit.append_ctes(entries, ALL_IN)
        ctes.append(appended)
        args += [len(rows), *more]
        last = ", (SELECT seq FROM moved) AS seq"
    found = await db.fetch(
        f"WITH RECURSIVE {', '.join(ctes)} "  # noqa: S608 - constants
        f"SELECT (SELECT array_agg(op_id) FROM added) AS ids{last}",
        *args,
    )
    ids = {str(i) for i in found[0]["ids"] or () if i is not None}
    return ids, found[0].get("seq") is not None


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
    run = _Run(await _sessions(wanted, context.field.slot_minutes), corrections)
    # Corrections are checked against totals that include this run's earlier counts; if
    # one of those turns out to reuse a stored id, the run is planned again without it.
    guard = await db.savepoint() if corrections else None
    taken: set[str] = set()
    while True:
        results, rows = await _plan(run, increments, taken)
        entries = audit_of(results) if audit_of is not None and db.is_postgres() else []
        inserted, audited = await _store(rows, context.actor.staff_id, context.now, entries)
        missing = {
            row[OP_ID] for row in rows if row[OP_ID] is not None and row[OP_ID] not in inserted
        }
        if not missing:
            break
        taken |= missing
        if guard is None:
            results = [
                REUSED if isinstance(r, Applied) and i.op_id in missing else r
                for i, r in zip(increments, results, strict=True)
            ]
            break
        await guard.rollback_to()
    if guard is not None:
        await guard.release()
    return Adds(results, audited)


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
