"""Headcount rules: append-only increments whose per-category total never goes below zero."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from server.common.errors import OpRejected
from server.headcounts.schemas import Category, Totals
from server.headcounts.tables import Headcount, HeadcountCategory
from server.messages import N_
from server.sites.service import site_group
from server.sync.context import Applied, ApplyContext
from server.sync.ops import AddCategory, AddHeadcount, SetCategoryActive
from server.work_sessions import service as work_sessions
from server.work_sessions.schemas import WorkSessionOut

MAX_DELTA = 100
MAX_LABEL = 100


async def categories(site_kind: str, *, include_inactive: bool = False) -> list[Category]:
    """Categories counted at a kind of site, in display order (active ones only by default)."""
    query = HeadcountCategory.select(
        HeadcountCategory.code,
        HeadcountCategory.label_ja,
        HeadcountCategory.label_en,
        HeadcountCategory.active,
    ).where(HeadcountCategory.site_group == site_group(site_kind))
    if not include_inactive:
        query = query.where(HeadcountCategory.active.eq(True))
    rows = await query.order_by(HeadcountCategory.sort_order)
    return [msgspec.convert(r, Category) for r in rows]


GROUP_KIND = {"outreach": "outreach_venue", "office": "office"}


async def apply_category_add(payload: AddCategory, context: ApplyContext) -> Applied:
    """Apply ``headcount.category_add``: appended after the group's existing categories."""
    label = " ".join(payload.label_ja.split())
    if not label or len(label) > MAX_LABEL:
        raise OpRejected(
            "label_invalid", N_("Enter a label of 1 to 100 characters."), field="label_ja"
        )
    existing = await categories(GROUP_KIND[payload.site_group], include_inactive=True)
    if any(c.label_ja == label for c in existing):
        raise OpRejected("label_taken", N_("This category already exists."), field="label_ja")
    code = f"c-{uuid.uuid4().hex[:8]}"
    rows = await HeadcountCategory.insert(
        HeadcountCategory(
            code=code,
            site_group=payload.site_group,
            label_ja=label,
            label_en=" ".join(payload.label_en.split())[:MAX_LABEL] or label,
            sort_order=1000 + len(existing),
            active=True,
        )
    ).returning(HeadcountCategory._meta.primary_key)
    return Applied(target=f"headcount_category:{rows[0]['id']}", entity_id=code)


async def apply_category_set_active(payload: SetCategoryActive, context: ApplyContext) -> Applied:
    """Apply ``headcount.category_set_active``; counts already made stay as they are."""
    rows = (
        await HeadcountCategory.update({HeadcountCategory.active: payload.active})
        .where(
            (HeadcountCategory.site_group == payload.site_group)
            & (HeadcountCategory.code == payload.code)
        )
        .returning(HeadcountCategory._meta.primary_key)
    )
    if not rows:
        raise OpRejected("category_unknown", N_("Unknown category."), field="code")
    return Applied(target=f"headcount_category:{rows[0]['id']}", entity_id=payload.code)


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


def slots(start: dt.datetime, end: dt.datetime, slot_minutes: int) -> list[dt.datetime]:
    """Every slot start from the slot of ``start`` up to ``end``."""
    found, current = [], slot_of(start, slot_minutes)
    while current < end:
        found.append(current)
        current += dt.timedelta(minutes=slot_minutes)
    return found


def session_slots(session: WorkSessionOut, slot_minutes: int) -> list[dt.datetime]:
    """The slots a work session covers: from its (actual or planned) start to the later of
    its planned and actual end."""
    start = session.actual_start or session.planned_start
    end = max(session.planned_end, session.actual_end or session.planned_end)
    return slots(start, end, slot_minutes)


async def totals(work_session_id: int) -> Totals:
    """Sums for a work session."""
    rows = await Headcount.raw(
        "SELECT slot_start, category, SUM(delta) AS n FROM headcount "
        "WHERE work_session = {} GROUP BY slot_start, category",
        work_session_id,
    )
    by_category: dict[str, int] = {}
    by_slot: dict[dt.datetime, int] = {}
    cells: dict[tuple[dt.datetime, str], int] = {}
    for row in rows:
        slot = row["slot_start"]
        if isinstance(slot, str):  # SQLite raw queries give text
            slot = dt.datetime.fromisoformat(slot)
        slot = slot.astimezone(dt.UTC)
        n = int(row["n"])
        cells[(slot, row["category"])] = cells.get((slot, row["category"]), 0) + n
        by_category[row["category"]] = by_category.get(row["category"], 0) + n
        by_slot[slot] = by_slot.get(slot, 0) + n
    return Totals(
        by_category=by_category, by_slot=by_slot, cells=cells, total=sum(by_category.values())
    )


async def apply_add(
    payload: AddHeadcount,
    context: ApplyContext,
    *,
    op_id: str | None = None,
    device_id: str | None = None,
) -> Applied:
    """Apply ``headcount.add``: one increment, or a correction that keeps the total ≥ 0."""
    if payload.delta == 0 or abs(payload.delta) > MAX_DELTA:
        raise OpRejected(
            "delta_invalid",
            N_("A count must be between -%(max)s and %(max)s and not zero."),
            field="delta",
            max=MAX_DELTA,
        )
    session = await work_sessions.get(payload.work_session_id)
    if session is None:
        raise OpRejected("session_unknown", N_("No such work session."), field="work_session_id")
    if session.status != "open":
        raise OpRejected(
            "session_not_open",
            N_("Counts can only be recorded while the work session is open."),
            field="work_session_id",
        )
    if payload.category not in {c.code for c in await categories(session.site_kind)}:
        raise OpRejected("category_unknown", N_("Unknown category."), field="category")
    slot_minutes = context.field.slot_minutes
    slot = payload.slot_start.astimezone(dt.UTC)
    if slot != slot_of(slot, slot_minutes) or slot not in session_slots(session, slot_minutes):
        raise OpRejected(
            "slot_outside", N_("This time slot is outside the work session."), field="slot_start"
        )
    if payload.delta < 0:
        # Two corrections must not both pass the check.
        await work_sessions.lock_row(session.id)
        current = await Headcount.raw(
            "SELECT COALESCE(SUM(delta), 0) AS n FROM headcount "
            "WHERE work_session = {} AND category = {}",
            session.id,
            payload.category,
        )
        if int(current[0]["n"]) + payload.delta < 0:
            raise OpRejected(
                "below_zero",
                N_("A total cannot go below zero."),
                field="delta",
            )
    await Headcount.insert(
        Headcount(
            work_session=session.id,
            slot_start=slot,
            category=payload.category,
            delta=payload.delta,
            device_id=device_id,
            actor_id=context.actor.staff_id,
            op_id=op_id,
            created_at=context.now,
        )
    )
    return Applied(target=f"work_session:{session.id}", entity_id=session.id)
