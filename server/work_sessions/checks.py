"""Opening and closing checks: each group of sites has its checklist for a session's start
(``open``) and finish (``close``), recorded with the ``work_session.open`` and
``work_session.close`` ops; a fixed counter counts its card stock too.

The stock reconciles when start + received − issued − spoiled = end; one that does not
(or has no start counted) is flagged on the daily journal.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from server.common.errors import OpRejected
from server.common.label_lists import new_entry
from server.messages import N_
from server.ops.context import Applied, ApplyContext
from server.work_sessions import ops
from server.work_sessions.schemas import (
    CheckLine,
    CheckRecord,
    SessionChecks,
    Stock,
    WorkSessionOut,
)
from server.work_sessions.tables import CheckItem, SessionCheck

Phase = Literal["open", "close"]
PHASES: tuple[Phase, ...] = ("open", "close")
STOCK_GROUP = "office"  # the counters that hold cards
UNKNOWN_CHECK = OpRejected(
    "check_unknown", N_("This check is not on this site's list."), field="checks"
)
CHECK_TAKEN = OpRejected("check_taken", N_("This check is on the list already."), field="label_ja")
STOCK_ELSEWHERE = OpRejected(
    "stock_not_here", N_("Card stock is counted only at fixed counters."), field="stock"
)


async def checklist(group: str, phase: Phase) -> list[CheckLine]:
    """The active lines of a group's checklist for ``phase``, in order."""
    rows = (
        await CheckItem.select(CheckItem.code, CheckItem.label_ja, CheckItem.label_en)
        .where(
            (CheckItem.site_group == group) & (CheckItem.phase == phase) & CheckItem.active.eq(True)
        )
        .order_by(CheckItem.sort_order)
        .order_by(CheckItem._meta.primary_key)
    )
    return [CheckLine(**row) for row in rows]


async def all_lines(group: str, phase: Phase) -> list[tuple[CheckLine, bool]]:
    """Every line of a checklist, retired ones too, in order, each with whether it is in use."""
    rows = (
        await CheckItem.select(
            CheckItem.code, CheckItem.label_ja, CheckItem.label_en, CheckItem.active
        )
        .where((CheckItem.site_group == group) & (CheckItem.phase == phase))
        .order_by(CheckItem.sort_order)
        .order_by(CheckItem._meta.primary_key)
    )
    return [
        (CheckLine(**{k: v for k, v in row.items() if k != "active"}), row["active"])
        for row in rows
    ]


async def apply_add_item(payload: ops.AddCheckItem, context: ApplyContext) -> Applied:
    """Apply ``check_item.add``: appended after the checklist's lines."""
    existing = await all_lines(payload.site_group, payload.phase)
    labels = [line.label_ja for line, _ in existing]
    entry = new_entry(payload.label_ja, payload.label_en, labels, CHECK_TAKEN)
    rows = await CheckItem.insert(
        CheckItem(site_group=payload.site_group, phase=payload.phase, **entry)
    ).returning(CheckItem._meta.primary_key)
    return Applied(target=f"check_item:{rows[0]['id']}", entity_id=entry["code"])


async def apply_set_item_active(payload: ops.SetCheckItemActive, context: ApplyContext) -> Applied:
    """Apply ``check_item.set_active``; what was recorded with the line stays."""
    rows = (
        await CheckItem.update({CheckItem.active: payload.active})
        .where(
            (CheckItem.site_group == payload.site_group)
            & (CheckItem.phase == payload.phase)
            & (CheckItem.code == payload.code)
        )
        .returning(CheckItem._meta.primary_key)
    )
    if not rows:
        raise OpRejected("check_unknown", UNKNOWN_CHECK.message, field="code")
    return Applied(target=f"check_item:{rows[0]['id']}", entity_id=payload.code)


async def lines_of(group: str) -> dict[str, CheckLine]:
    """Every line a group's checklists ever had, retired ones too, by code (to name what
    was recorded)."""
    rows = await CheckItem.select(CheckItem.code, CheckItem.label_ja, CheckItem.label_en).where(
        CheckItem.site_group == group
    )
    return {row["code"]: CheckLine(**row) for row in rows}


async def record(
    session: WorkSessionOut,
    phase: Phase,
    checked: list[str],
    context: ApplyContext,
    *,
    stock_start: int | None = None,
    stock: ops.ClosingStock | None = None,
) -> None:
    """Keep what was checked at ``phase`` (again: the later record replaces the earlier),
    inside the caller's transaction.

    Raises:
        OpRejected: A line not on the site's list, or a stock count at a venue.
    """
    lines = await checklist(session.counted_as, phase)
    known = {line.code for line in lines}
    if any(code not in known for code in checked):
        raise UNKNOWN_CHECK.with_traceback(None)
    if (stock_start is not None or stock is not None) and session.counted_as != STOCK_GROUP:
        raise STOCK_ELSEWHERE.with_traceback(None)
    wanted = set(checked)
    where = (SessionCheck.work_session == session.id) & (SessionCheck.phase == phase)
    await SessionCheck.delete().where(where)
    await SessionCheck.insert(
        SessionCheck(
            work_session=session.id,
            phase=phase,
            done=json.dumps([line.code for line in lines if line.code in wanted]),
            missing=json.dumps([line.code for line in lines if line.code not in wanted]),
            stock_start=stock_start,
            stock_received=stock.received if stock else None,
            stock_issued=stock.issued if stock else None,
            stock_spoiled=stock.spoiled if stock else None,
            stock_end=stock.end if stock else None,
            actor_id=context.actor.staff_id,
            at=context.now,
        )
    )


async def of_sessions(session_ids: list[int]) -> dict[int, SessionChecks]:
    """The checks recorded for each of these sessions (those with none are left out)."""
    if not session_ids:
        return {}
    rows = await SessionCheck.select().where(SessionCheck.work_session.is_in(session_ids))
    found: dict[int, dict[str, dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(int(row["work_session"]), {})[str(row["phase"])] = row
    return {session_id: _checks(phases) for session_id, phases in found.items()}


def _checks(phases: dict[str, dict[str, Any]]) -> SessionChecks:
    opening, closing = phases.get("open"), phases.get("close")
    start = opening["stock_start"] if opening else None
    end = closing["stock_end"] if closing else None
    stock = None
    if start is not None or end is not None:
        moved = closing or {}
        stock = Stock(
            start=start,
            received=moved.get("stock_received") or 0,
            issued=moved.get("stock_issued") or 0,
            spoiled=moved.get("stock_spoiled") or 0,
            end=end,
        )
    return SessionChecks(opening=_record(opening), closing=_record(closing), stock=stock)


def _record(row: dict[str, Any] | None) -> CheckRecord | None:
    if row is None:
        return None
    done, missing = json.loads(row["done"]), json.loads(row["missing"])
    return CheckRecord(done=done, missing=missing, at=row["at"])
