"""Pull: what changed in the caller's scope since a cursor.

The cursor is the audit log's ``seq``: every write records one audit entry, numbered under
the audit chain's lock inside the write's own transaction, so numbers follow commit order
and a reader never skips a change committed late. A pull reads the entries after the
cursor (an index range scan: the cost follows the changes, not the history) and returns
the current state of each thing they name, once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from server.audit.tables import AuditEvent
from server.auth.policy import MANAGERS
from server.headcounts import service as headcounts
from server.headcounts.tables import HeadcountCategory
from server.incidents import service as incidents
from server.settings import FieldSettings
from server.sites import service as sites
from server.staff.tables import Staff
from server.sync.context import Actor
from server.sync.schemas import Change, PullOut
from server.work_sessions import service as work_sessions
from server.work_sessions.tables import WorkSessionStaff

MAX_LIMIT = 1000
ENTITIES = ("site", "work_session", "incident", "headcount_category", "staff")


async def _my_sites(actor: Actor) -> set[int] | None:
    """Sites an operator works at; None (everything) for managers and city staff."""
    if actor.role in MANAGERS or actor.role == "city_staff":
        return None
    rows = await WorkSessionStaff.select(WorkSessionStaff.work_session.site.as_alias("site")).where(
        WorkSessionStaff.staff == actor.staff_id
    )
    return {int(r["site"]) for r in rows}


async def _state(
    entity: str, key: str, field: FieldSettings, now: dt.datetime
) -> tuple[int | str, dict[str, Any] | None, int | None]:
    """(id, current data or None when gone, site id for scoping)."""
    number = int(key) if key.isdigit() else 0
    if entity == "site":
        site = await sites.get_site(number)
        return number, None if site is None else msgspec.to_builtins(site), number
    if entity == "work_session":
        session = await work_sessions.get(number)
        if session is None:
            return number, None, None
        totals = await headcounts.totals(number)
        data = msgspec.to_builtins(session)
        data["totals"] = totals.by_category
        return number, data, session.site_id
    if entity == "incident":
        row = await incidents.get_by_id(
            number, now=now, report_minutes=field.incident_report_minutes
        )
        return (
            (number, None, None)
            if row is None
            else (row.uid, msgspec.to_builtins(row), row.site_id)
        )
    if entity == "headcount_category":
        category = (
            await HeadcountCategory.select()
            .where(HeadcountCategory._meta.primary_key == number)
            .first()
        )
        return number, None if category is None else dict(category), None
    person = (
        await Staff.select(Staff.display_name, Staff.role, Staff.active)
        .where(Staff._meta.primary_key == number)
        .first()
    )
    return number, None if person is None else {"id": number, **person}, None


async def pull(cursor: int, limit: int, actor: Actor, field: FieldSettings) -> PullOut:
    """Changes after ``cursor`` in the caller's scope.

    Args:
        cursor: The last ``next_cursor`` the client saw (0 at first).
        limit: Audit entries to read at most.
        actor: Who asks.
        field: Field settings (overdue deadline).

    Returns:
        The changes, the next cursor and whether more remain.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    rows = (
        await AuditEvent.select(AuditEvent.seq, AuditEvent.target)
        .where(AuditEvent.seq > cursor)
        .order_by(AuditEvent.seq)
        .limit(limit)
    )
    latest: dict[tuple[str, str], int] = {}
    for row in rows:
        entity, _, key = str(row["target"]).partition(":")
        if entity in ENTITIES and key:
            latest[(entity, key)] = int(row["seq"])
    scope = await _my_sites(actor)
    now = dt.datetime.now(dt.UTC)
    changes = []
    for (entity, key), seq in sorted(latest.items(), key=lambda item: item[1]):
        entity_id, data, site_id = await _state(entity, key, field, now)
        if scope is not None and site_id is not None and site_id not in scope:
            continue
        changes.append(Change(seq=seq, entity=entity, id=entity_id, data=data))
    next_cursor = int(rows[-1]["seq"]) if rows else cursor
    return PullOut(changes=changes, next_cursor=next_cursor, has_more=len(rows) == limit)
