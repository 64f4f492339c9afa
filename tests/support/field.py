"""Field data for tests, made through the one write path (``apply_op``)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, Literal

from server import db
from server.common.clock import JST as JST  # re-exported: many tests take it from here
from server.incidents.ops import IncidentCategory, Severity
from server.ops.apply import apply_op
from server.ops.context import Actor, Applied
from server.settings import Settings
from server.sites import opening
from server.sites import service as sites
from server.sites.calendar import DayRule
from server.sync import ops
from server.work_sessions.schemas import WorkSessionOut
from tests.support.identities import make_staff

# Categories counted at the fixed counters (seeded by the migrations), for tests that tap many.
OFFICE_CATEGORIES = (
    "issuance_reserved",
    "pin_reset",
    "certificate_renewal",
    "card_update",
    "consultation",
)


async def apply(op: ops.Op, staff_id: int, role: str, settings: Settings, **kw: Any) -> Applied:
    """Apply ``op`` as ``staff_id`` with ``role``."""
    return await apply_op(op, Actor(staff_id=staff_id, role=role), settings.field, **kw)


def window(
    day: dt.date | None = None, start_hour: int = 10, hours: int = 6
) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """A work date and its planned window in JST (today 10:00–16:00 by default)."""
    day = day or dt.datetime.now(JST).date()
    start = dt.datetime.combine(day, dt.time(start_hour), JST)
    return day, start, start + dt.timedelta(hours=hours)


def city_hall_session(start: dt.datetime, end: dt.datetime, **fields: Any) -> WorkSessionOut:
    """A work session at 本庁舎 (site 1) as pages read it, planned for ``start``–``end``."""
    return WorkSessionOut(
        id=1,
        site_id=1,
        site_name_ja="本庁舎",
        site_name_en="City Hall",
        site_kind="office",
        work_date=start.astimezone(JST).date(),
        planned_start=start,
        planned_end=end,
        **fields,
    )


def slots(settings: Settings, count: int, day: dt.date | None = None) -> list[dt.datetime]:
    """The first ``count`` slot starts of :func:`window` on ``day`` (today by default)."""
    _, start, _ = window(day)
    step = dt.timedelta(minutes=settings.field.slot_minutes)
    return [start + i * step for i in range(count)]


async def open_for(site_id: int, day: dt.date, start: dt.datetime, end: dt.datetime) -> None:
    """Open ``site_id`` on ``day`` (for whatever hours sessions are planned, as a manager
    would for a special event) when its calendar would refuse this window: tests plan at
    any hour of any day. Made directly, so no audit entry is added."""
    site = await sites.get_site(site_id)
    if site is None or sites.within(await sites.opening_of(site, day), start, end):
        return
    async with db.writing():
        await opening.set_day(site_id, day, DayRule(is_open=True, note="test"))


def planned_at(work_date: dt.date) -> dt.datetime | None:
    """The clock a plan for ``work_date`` is applied at: now, or for a past day, that
    day's first moment (plans are made ahead; the rule refuses a day gone by)."""
    if work_date >= dt.datetime.now(JST).date():
        return None
    return dt.datetime.combine(work_date, dt.time(0), JST)


async def plan_session(
    settings: Settings,
    *,
    site_id: int,
    manager_id: int,
    day: dt.date | None = None,
    start_hour: int = 10,
    hours: int = 6,
) -> int:
    """Plan a work session as ``manager_id`` (an overall manager); returns its id."""
    work_date, start, end = window(day, start_hour, hours)
    await open_for(site_id, work_date, start, end)
    applied = await apply(
        ops.WorkSessionPlan(
            payload=ops.PlanWorkSession(
                site_id=site_id,
                work_date=work_date,
                planned_start=start,
                planned_end=end,
                allow_overlap=True,  # tests plan side by side at the same site and hour
            )
        ),
        manager_id,
        "overall_manager",
        settings,
        now=planned_at(work_date),
    )
    return int(applied.entity_id or 0)


async def staff_session(
    settings: Settings, session: int, *, manager: int, in_charge: int, operator: int
) -> None:
    """Assign a person in charge and an operator to a session, as ``manager``."""
    duties: tuple[tuple[int, Literal["in_charge", "operator"]], ...] = (
        (in_charge, "in_charge"),
        (operator, "operator"),
    )
    for staff_id, duty in duties:
        await apply(
            ops.WorkSessionAssign(
                payload=ops.AssignStaff(work_session_id=session, staff_id=staff_id, duty=duty)
            ),
            manager,
            "overall_manager",
            settings,
        )


async def open_session(
    settings: Settings, *, site_id: int, day: dt.date | None = None, start_hour: int = 10
) -> dict[str, int]:
    """A planned, staffed and opened work session.

    Returns:
        Ids as :func:`staffed_session` gives them.
    """
    ids = await staffed_session(settings, site_id=site_id, day=day, start_hour=start_hour)
    _, start, _ = window(day, start_hour)
    await apply(
        ops.WorkSessionOpen(payload=ops.OpenWorkSession(work_session_id=ids["session"], at=start)),
        ids["operator"],
        "operator",
        settings,
    )
    return ids


async def staffed_session(
    settings: Settings, *, site_id: int, day: dt.date | None = None, start_hour: int = 10
) -> dict[str, int]:
    """A planned and staffed work session, not opened yet.

    Returns:
        Ids: ``session``, ``manager`` (overall manager who planned it), ``in_charge``
        (a business manager) and ``operator``.
    """
    manager = await make_staff("overall_manager")
    in_charge = await make_staff("business_manager")
    operator = await make_staff("operator")
    session = await plan_session(
        settings, site_id=site_id, manager_id=manager, day=day, start_hour=start_hour
    )
    await staff_session(settings, session, manager=manager, in_charge=in_charge, operator=operator)
    return {"session": session, "manager": manager, "in_charge": in_charge, "operator": operator}


async def count_one(settings: Settings, ids: Mapping[str, int], category: str) -> Applied:
    """One ``headcount.add`` of +1 in the session's first slot, by its operator."""
    _, start, _ = window()
    return await count_at(settings, ids, start, category, 1)


async def count_at(
    settings: Settings, ids: Mapping[str, int], slot: dt.datetime, category: str, delta: int
) -> Applied:
    """A ``headcount.add`` of ``delta`` in the slot starting at ``slot``, by the session's
    operator."""
    return await apply(
        ops.HeadcountAdd(
            payload=ops.AddHeadcount(
                work_session_id=ids["session"], slot_start=slot, category=category, delta=delta
            )
        ),
        ids["operator"],
        "operator",
        settings,
    )


def new_uid() -> str:
    """A client-made incident id."""
    return str(uuid.uuid4())


async def file_incident(
    settings: Settings,
    ids: Mapping[str, Any],
    *,
    category: IncidentCategory,
    severity: Severity,
    description: str,
    ago: dt.timedelta = dt.timedelta(0),
    at: dt.datetime | None = None,
    site_id: int = 1,
    in_session: bool = True,
) -> str:
    """The session's operator files an incident, ``ago`` before now (or ``at``), at
    ``site_id`` and on the session unless ``in_session`` is false; returns its uid."""
    uid = new_uid()
    await apply(
        ops.IncidentCreate(
            payload=ops.CreateIncident(
                uid=uid,
                site_id=site_id,
                work_session_id=ids["session"] if in_session else None,
                category=category,
                severity=severity,
                occurred_at=at or dt.datetime.now(JST) - ago,
                description=description,
            )
        ),
        ids["operator"],
        "operator",
        settings,
    )
    return uid


async def file_fall(settings: Settings, ids: Mapping[str, Any]) -> str:
    """The session's operator files a high-severity fall on it, half an hour ago (an
    incident that cannot be closed without recurrence prevention); returns its uid."""
    return await file_incident(
        settings,
        ids,
        category="accident_injury",
        severity="high",
        description="来庁者が段差で転倒した。",
        ago=dt.timedelta(minutes=30),
    )
