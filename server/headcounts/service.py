"""Headcount rules: append-only increments whose per-category total never goes below zero."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from piccolo.engine.sqlite import convert_datetime_in

from server import db
from server.common.clock import utc_iso
from server.common.errors import OpRejected
from server.headcounts.categories import (
    GROUP_KIND,
    apply_category_add,
    apply_category_set_active,
    categories,
)
from server.headcounts.schemas import Increment, Totals
from server.messages import N_
from server.sync.context import Applied, ApplyContext
from server.work_sessions import service as work_sessions
from server.work_sessions.schemas import WorkSessionOut

__all__ = [
    "GROUP_KIND",
    "Increment",
    "apply_adds",
    "apply_category_add",
    "apply_category_set_active",
    "categories",
    "cell_rows",
    "cells",
    "session_slots",
    "slot_of",
    "slot_window",
    "summarize",
    "totals",
]

MAX_DELTA = 100


def slot_of(moment: dt.datetime, slot_minutes: int) -> dt.datetime:
    """The start of the slot ``moment`` falls in (slots are aligned to the hour, in UTC).

    Args:
        moment: Any time.
        slot_minutes: Slot length.

    Returns:
        The slot's start, timezone-aware UTC.
    """
    moment = moment.astimezone(dt.UTC)
    minutes = (moment.hour * 60 + moment.minute) // slot_minutes * slot_minutes
    return moment.replace(hour=minutes // 60, minute=minutes % 60, second=0, microsecond=0)


def slot_window(session: WorkSessionOut, slot_minutes: int) -> tuple[dt.datetime, int]:
    """The slots a work session covers, as the first slot and how many: from its (actual or
    planned) start to the later of its planned and actual end."""
    start = session.actual_start or session.planned_start
    end = max(session.planned_end, session.actual_end or session.planned_end)
    first = slot_of(start, slot_minutes)
    return first, max(0, math.ceil((end - first) / dt.timedelta(minutes=slot_minutes)))


def session_slots(session: WorkSessionOut, slot_minutes: int) -> list[dt.datetime]:
    """Every slot start of :func:`slot_window`."""
    first, count = slot_window(session, slot_minutes)
    return [first + dt.timedelta(minutes=slot_minutes * i) for i in range(count)]


Cells = dict[tuple[dt.datetime, str], int]


async def cells(work_session_ids: list[int]) -> dict[int, Cells]:
    """Sums per slot (UTC) and category of several work sessions, in one query."""
    found: dict[int, Cells] = {i: {} for i in work_session_ids}
    if not work_session_ids:
        return found
    where, args = db.one_of("work_session", work_session_ids)
    rows = await db.fetch(
        f"SELECT work_session, slot_start, category, n FROM headcount_cell WHERE {where}",  # noqa: S608 - placeholders only
        *args,
    )
    for row in rows:
        into = found[int(row["work_session"])]
        # Equal instants can come apart as text (offsets); they count as one slot.
        key = (_as_utc(row["slot_start"]), str(row["category"]))
        into[key] = into.get(key, 0) + int(row["n"])
    return found


def summarize(by_cell: Cells) -> Totals:
    """Totals per cell, category and slot, and in all."""
    by_category: dict[str, int] = {}
    by_slot: dict[dt.datetime, int] = {}
    for (slot, category), n in by_cell.items():
        by_category[category] = by_category.get(category, 0) + n
        by_slot[slot] = by_slot.get(slot, 0) + n
    return Totals(
        by_category=by_category, by_slot=by_slot, cells=by_cell, total=sum(by_category.values())
    )


def cell_rows(by_cell: Cells) -> list[list[Any]]:
    """Cells as the tablet's snapshot holds them: ``[slot (UTC ISO), category, n]``."""
    return [[utc_iso(slot), category, n] for (slot, category), n in by_cell.items()]


async def totals(work_session_id: int) -> Totals:
    """Sums for a work session: per cell, category and slot, and in all."""
    return summarize((await cells([work_session_id]))[work_session_id])


def _as_utc(value: Any) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(dt.UTC)


class _Run:
    """What a run of counts has learnt: sessions, their slots and categories, totals."""

    def __init__(self, sessions: dict[int, WorkSessionOut], slot_minutes: int) -> None:
        self.sessions = sessions
        self.slot_minutes = slot_minutes
        self.slots: dict[int, set[dt.datetime]] = {}
        self.categories: dict[str, set[str]] = {}
        self.stored: dict[int, dict[str, int]] = {}
        self.pending: dict[int, dict[str, int]] = {}

    async def check(self, increment: Increment) -> tuple[WorkSessionOut, dt.datetime]:
        """The count's session and slot (UTC), or why it is refused."""
        payload = increment.payload
        if payload.delta == 0 or abs(payload.delta) > MAX_DELTA:
            raise OpRejected(
                "delta_invalid",
                N_("A count must be between -%(max)s and %(max)s and not zero."),
                field="delta",
                max=MAX_DELTA,
            )
        session = self.sessions.get(payload.work_session_id)
        if session is None:
            raise OpRejected(
                "session_unknown", N_("No such work session."), field="work_session_id"
            )
        if session.status != "open":
            raise OpRejected(
                "session_not_open",
                N_("Counts can only be recorded while the work session is open."),
                field="work_session_id",
            )
        codes = self.categories.get(session.site_kind)
        if codes is None:
            codes = {c.code for c in await categories(session.site_kind)}
            self.categories[session.site_kind] = codes
        if payload.category not in codes:
            raise OpRejected("category_unknown", N_("Unknown category."), field="category")
        window = self.slots.get(session.id)
        if window is None:
            window = self.slots[session.id] = set(session_slots(session, self.slot_minutes))
        slot = payload.slot_start.astimezone(dt.UTC)
        if slot not in window:
            raise OpRejected(
                "slot_outside",
                N_("This time slot is outside the work session."),
                field="slot_start",
            )
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


COLUMNS: db.Columns = (
    ("work_session", "integer"),
    ("slot_start", "timestamptz"),
    ("category", "text"),
    ("delta", "integer"),
    ("device_id", "text"),
    ("actor_id", "integer"),
    ("op_id", "text"),
    ("created_at", "timestamptz"),
)
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


async def _store(rows: list[tuple[Any, ...]]) -> set[str]:
    """Insert the rows and add them to their cells; an op id already stored is skipped,
    not an error.

    Returns:
        The op ids inserted.
    """
    if not rows:
        return set()
    if db.is_postgres():
        # One round trip: the counts, and the cells from what the insert returned.
        found = await db.fetch(
            f"WITH added AS ({db.unnest_insert('headcount', COLUMNS)} {SKIP_REUSED} "  # noqa: S608 - constants
            "RETURNING work_session, slot_start, category, delta, op_id), "
            f"cells AS ({ADD_TO_CELLS.format(source='added')}) "
            "SELECT op_id FROM added WHERE op_id IS NOT NULL",
            *db.by_column(rows),
        )
        return {str(r["op_id"]) for r in found}
    # The run's few slot starts and one server time, turned into SQLite's text once each
    # (the same function the driver calls on every datetime argument).
    texts: dict[dt.datetime, str] = {}
    for index, row in enumerate(rows):
        slot, created = row[1], row[7]
        if slot not in texts:
            texts[slot] = convert_datetime_in(slot)
        if created not in texts:
            texts[created] = convert_datetime_in(created)
        rows[index] = (row[0], texts[slot], *row[2:7], texts[created])
    # The write lock is held: rows numbered after the highest id are this run's.
    before = (await db.fetch("SELECT COALESCE(MAX(id), 0) AS id FROM headcount"))[0]["id"]
    written = await db.insert_many("headcount", COLUMNS, rows, suffix=SKIP_REUSED)
    # "WHERE": SQLite needs one before an upsert's ON CONFLICT in INSERT … SELECT.
    await db.fetch(ADD_TO_CELLS.format(source="headcount WHERE id > {}"), before)
    if written == len(rows):
        return {str(row[6]) for row in rows if row[6] is not None}
    found = await db.fetch(
        "SELECT op_id FROM headcount WHERE id > {} AND op_id IS NOT NULL", before
    )
    return {str(r["op_id"]) for r in found}


async def apply_adds(
    increments: list[Increment], context: ApplyContext
) -> list[Applied | OpRejected]:
    """Apply ``headcount.add`` ops in order: each one increment, or a correction that keeps
    its category's total at or above zero.

    A run of counts (a synced batch) costs a few queries and one insert per 500 rows, not
    several statements per count; a form's single count takes the same path.

    Args:
        increments: The counts, in the order they were made.
        context: Actor, settings and the server's clock.

    Returns:
        Per count, what it changed or why it was refused (refused ones change nothing).
    """
    run = _Run(
        await work_sessions.get_many(
            (i.payload.work_session_id for i in increments), with_staff=False
        ),
        context.field.slot_minutes,
    )
    # Corrections are checked against totals that include this run's earlier counts; if
    # one of those turns out to reuse a stored id, the run is planned again without it.
    guard = await db.savepoint() if any(i.payload.delta < 0 for i in increments) else None
    taken: set[str] = set()
    while True:
        results, rows = await _plan(run, increments, taken, context)
        inserted = await _store(rows)
        missing = {row[6] for row in rows if row[6] is not None and row[6] not in inserted}
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
    return results


REUSED = OpRejected("op_id_reused", N_("This change's id was already used."))


async def _plan(
    run: _Run, increments: list[Increment], taken: set[str], context: ApplyContext
) -> tuple[list[Applied | OpRejected], list[tuple[Any, ...]]]:
    """Check each count in order; the rows to insert and every count's outcome."""
    run.pending.clear()
    taken = set(taken)
    results: list[Applied | OpRejected] = []
    rows: list[tuple[Any, ...]] = []
    for increment in increments:
        payload = increment.payload
        try:
            if increment.op_id is not None and increment.op_id in taken:
                # An id already used by another op (a client bug): refuse this one alone.
                raise REUSED
            session, slot = await run.check(increment)
            if payload.delta < 0 and await run.total(session.id, payload.category) < -payload.delta:
                raise OpRejected("below_zero", N_("A total cannot go below zero."), field="delta")
        except OpRejected as error:
            results.append(error)
            continue
        run.add(session.id, payload.category, payload.delta)
        if increment.op_id is not None:
            taken.add(increment.op_id)
        rows.append(
            (
                session.id,
                slot,
                payload.category,
                payload.delta,
                increment.device_id,
                context.actor.staff_id,
                increment.op_id,
                context.now,
            )
        )
        results.append(Applied(target=f"work_session:{session.id}", entity_id=session.id))
    return results, rows
