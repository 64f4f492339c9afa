"""Hand-written statements of headcounts: storing a run of counts with their running sums
in ``headcount_cell`` in one step, and the reads a pull and a push make of them.

A run of checked counts (:mod:`server.headcounts.adds`) is inserted with its cells in one
or two statements. On PostgreSQL the audit entries go in the same statement, and a writer
may put a guard of its own in front (:class:`server.db_bulk.Guard`): then the whole write is
one statement, committed on its own, or nothing at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import asyncpg
from piccolo.engine.sqlite import convert_datetime_in
from piccolo.querystring import QueryString

from server import db, db_bulk
from server.audit import store as audit_store
from server.audit.chain import Entry

# What differs between a run's counts; the actor and the server's time are the run's own.
COLUMNS: db_bulk.Columns = (
    ("work_session", "integer"),
    ("slot_start", "timestamptz"),
    ("category", "text"),
    ("delta", "integer"),
    ("device_id", "text"),
    ("op_id", "text"),
)
OP_ID = 5
# The columns of a stored count: what differs between a run's counts, then the run's own.
STORED: db_bulk.Columns = (*COLUMNS, ("actor_id", "integer"), ("created_at", "timestamptz"))
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
    f"SELECT r.*, {{}}::integer, {{}}::timestamptz FROM {db_bulk.json_recordset(COLUMNS)} "
    "{tail} RETURNING work_session, slot_start, category, delta, op_id"
)
# The condition of an audit append in the same statement: every count went in. Asking
# for the cells too makes them be added before the chain's head is locked, in the order
# the counts' statement and then the audit's took their locks when they were two.
ALL_IN = "(SELECT count(*) FROM added) = {} AND (SELECT count(*) FROM cells) >= 0"

ACTIVE_CODES = QueryString("SELECT site_group, code FROM headcount_category WHERE active")


def categories_query(site_group: str) -> QueryString:
    """A group's categories, in display order."""
    return QueryString(
        "SELECT code, label_ja, label_en, active FROM headcount_category "
        "WHERE site_group = {} ORDER BY sort_order, id",
        site_group,
    )


def cells_query(work_session_ids: Sequence[int]) -> QueryString:
    """The cells of several work sessions, to read with others."""
    return QueryString(
        "SELECT work_session, slot_start, category, n FROM headcount_cell WHERE {}",
        db.one_of("work_session", work_session_ids),
    )


async def stored_totals(work_session_id: int) -> dict[str, int]:
    """A session's totals per category, as stored."""
    rows = await db.fetch(
        QueryString(
            "SELECT category, SUM(n) AS n FROM headcount_cell WHERE work_session = {} "
            "GROUP BY category",
            work_session_id,
        )
    )
    return {str(r["category"]): int(r["n"]) for r in rows}


def can_guard() -> bool:
    """Whether a guarded :func:`store` may run now: PostgreSQL, outside a transaction (a
    guarded write is a statement of its own)."""
    return db.is_postgres() and not db.in_transaction()


class Stored(NamedTuple):
    """What :func:`store` wrote: the op ids inserted, whether the audit entries asked for
    were appended, and whether the guard held (True without one)."""

    ids: set[str]
    audited: bool
    held: bool = True


async def store(
    rows: list[tuple[Any, ...]],
    actor_id: int,
    now: dt.datetime,
    entries: Callable[[], list[Entry]] | None = None,
    guard: db_bulk.Guard | None = None,
) -> Stored:
    """Insert the rows (:data:`COLUMNS`) by ``actor_id`` at ``now`` and add them to their
    cells; an op id already stored is skipped, not an error. On PostgreSQL the audit
    entries ``entries`` gives are appended in the same statement, if every row went in.

    Args:
        rows: The counts' values.
        actor_id: Who made them.
        now: The server's time.
        entries: The audit entries to append with them (asked for on PostgreSQL only).
        guard: PostgreSQL, outside a transaction: the writer's own condition. The
            statement is then all there is: a stored op id fails it whole (an integrity
            error) instead of being skipped, so rows, cells and entries commit together.

    Returns:
        What was written.
    """
    if not rows:
        return Stored(set(), False)
    if db.is_postgres():
        return await _store_pg(rows, actor_id, now, entries() if entries else [], guard)
    if guard is not None:
        raise ValueError("a guard is a PostgreSQL statement's")
    # The run's few slot starts and its one server time, turned into SQLite's text once
    # each (the same function the driver calls on every datetime argument).
    texts = {slot: convert_datetime_in(slot) for slot in {row[1] for row in rows}}
    created = convert_datetime_in(now)
    values = [
        (session, texts[slot], category, delta, device_id, op_id, actor_id, created)
        for session, slot, category, delta, device_id, op_id in rows
    ]
    # The write lock is held: rows numbered after the highest id are this run's.
    top = await db.fetch(QueryString("SELECT COALESCE(MAX(id), 0) AS id FROM headcount"))
    before = top[0]["id"]
    written = await db_bulk.insert_many("headcount", STORED, values, suffix=SKIP_REUSED)
    # By rowid, not by the session's index (the planner's choice for the GROUP BY, which
    # read every count of the session); the WHERE also settles SQLite's parsing of an
    # upsert in INSERT … SELECT.
    source = "headcount NOT INDEXED WHERE id > {}"
    await db.fetch(QueryString(ADD_TO_CELLS.format(source=source), before))
    if written == len(rows):
        return Stored({op_id for *_, op_id in rows if op_id is not None}, False)
    found = await db.fetch(
        QueryString("SELECT op_id FROM headcount WHERE id > {} AND op_id IS NOT NULL", before)
    )
    return Stored({str(r["op_id"]) for r in found}, False)


async def _store_pg(
    rows: list[tuple[Any, ...]],
    actor_id: int,
    now: dt.datetime,
    entries: list[Entry],
    guard: db_bulk.Guard | None,
) -> Stored:
    """:func:`store` on PostgreSQL: one round trip for the guard, the counts, their cells,
    the op ids written and the audit entries."""
    ctes = [guard.ctes] if guard else []
    args: list[Any] = list(guard.args) if guard else []
    tail = f"WHERE {guard.when}" if guard else SKIP_REUSED
    ctes += [
        f"added AS ({INSERT_PG.replace('{tail}', tail)})",
        f"cells AS ({ADD_TO_CELLS.format(source='added')} RETURNING 1)",
    ]
    args += [actor_id, now, db_bulk.json_rows(COLUMNS, rows)]
    last = f", ({guard.when}) AS held" if guard else ""
    if entries:
        appended, more = audit_store.append_ctes(entries, ALL_IN)
        ctes.append(appended)
        args += [len(rows), *more]
        last += ", (SELECT seq FROM moved) AS seq"
    query = QueryString(
        f"WITH RECURSIVE {', '.join(ctes)} "  # noqa: S608 - constants
        f"SELECT (SELECT array_agg(op_id) FROM added) AS ids{last}",
        *args,
    )
    if guard is None:
        found = await db.fetch(query)
    else:
        if db.in_transaction():
            raise RuntimeError("a guarded store is a statement of its own, outside a transaction")
        try:
            found = await db.fetch(query)
        except asyncpg.exceptions.IntegrityConstraintViolationError:
            # An op id already stored: the statement, the guard's own writes included,
            # was rolled back whole.
            return Stored(set(), False, held=False)
    ids = {str(i) for i in found[0]["ids"] or () if i is not None}
    return Stored(ids, found[0].get("seq") is not None, bool(found[0].get("held", True)))
