"""Headcount rules: append-only increments whose per-category total never goes below zero."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from server import db
from server.audit import service as audit
from server.auth.policy import Permission
from server.common.clock import utc_iso
from server.common.errors import OpRejected
from server.common.text import is_code
from server.headcounts.adds import Prepared, apply_adds, apply_prepared, prepare_adds
from server.headcounts.batches import PERMISSION, apply_one
from server.headcounts.categories import (
    GROUPS,
    apply_category_add,
    apply_category_set_active,
    categories,
)
from server.headcounts.ops import HeadcountAdd, HeadcountCategoryAdd, HeadcountCategorySetActive
from server.headcounts.schemas import Increment, Totals
from server.headcounts.slots import session_slots, slot_of, slot_window, window_of
from server.headcounts.store import cells_query
from server.ops.apply import INVALID
from server.ops.registry import Kind

__all__ = [
    "GROUPS",
    "Increment",
    "Prepared",
    "apply_adds",
    "apply_category_add",
    "apply_category_set_active",
    "apply_prepared",
    "categories",
    "cell_rows",
    "cells",
    "cells_from_rows",
    "cells_query",
    "prepare_adds",
    "session_slots",
    "slot_of",
    "slot_window",
    "summarize",
    "totals",
    "window_of",
]

Cells = dict[tuple[dt.datetime, str], int]


def cells_from_rows(work_session_ids: list[int], rows: list[dict[str, Any]]) -> dict[int, Cells]:
    """:func:`cells` from the rows of :func:`cells_query` (times as values or ISO text)."""
    found: dict[int, Cells] = {i: {} for i in work_session_ids}
    for row in rows:
        into = found[int(row["work_session"])]
        # Equal instants can come apart as text (offsets); they count as one slot.
        key = (_as_utc(row["slot_start"]), str(row["category"]))
        into[key] = into.get(key, 0) + int(row["n"])
    return found


async def cells(work_session_ids: list[int]) -> dict[int, Cells]:
    """Sums per slot (UTC) and category of several work sessions, in one query."""
    if not work_session_ids:
        return {}
    rows = await db.fetch(cells_query(work_session_ids))
    return cells_from_rows(work_session_ids, rows)


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


async def field_snapshot(
    work_session_id: int, device_mark: Callable[[], Awaitable[int | None]]
) -> tuple[int, Totals, int]:
    """The audit log's head (a tablet's first pull starts there), the session's totals and
    the tablet's high-water mark (``device_mark``, kept by the sync layer above), read in
    one snapshot: the totals hold exactly the tablet's ops up to the mark, and a pull from
    the head brings only what came after."""
    async with db.reading():
        cursor = await audit.head_seq()
        sums = await totals(work_session_id)
        mark = await device_mark()
    return cursor, sums, mark or 0


def _as_utc(value: Any) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(dt.UTC)


def _check_count(op: HeadcountAdd) -> None:
    # The category's shape is checked here, not on decoding: a pattern there cost every
    # count of a batch, and the hot path is ``headcount.add``.
    if not is_code(op.payload.category):
        raise OpRejected("invalid", INVALID, field="category", where="category")


KINDS = (
    Kind(HeadcountAdd, PERMISSION, check=_check_count, whole=apply_one),
    Kind(
        HeadcountCategoryAdd,
        Permission.MANAGE_SITES,
        lambda op, c: apply_category_add(op.payload, c),
    ),
    Kind(
        HeadcountCategorySetActive,
        Permission.MANAGE_SITES,
        lambda op, c: apply_category_set_active(op.payload, c),
    ),
)
"""The headcount ops and the rules that apply them (installed by :mod:`server.domains`)."""
