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
from piccolo.querystring import QueryString

from server import db
from server.auth.policy import sees_every_site
from server.common.text import is_uuid
from server.headcounts import service as headcounts
from server.headcounts.tables import HeadcountCategory
from server.incidents import service as incidents
from server.ops.context import Actor
from server.settings import FieldSettings
from server.sites import service as sites
from server.staff.tables import Staff
from server.sync import devices, store
from server.sync.schemas import Change, PullOut
from server.work_sessions import service as work_sessions
from server.work_sessions.schemas import WorkSessionOut, in_charge_of

MAX_LIMIT = 1000
ENTITIES = ("site", "work_session", "incident", "headcount_category", "staff")


def _sites_query(actor: Actor, cursor: int) -> QueryString | None:
    """The sites an operator works at, if anything changed after ``cursor``; None
    (everything) for managers and city staff."""
    if sees_every_site(actor.role):
        return None
    return store.sites_query(actor.staff_id, cursor)


after_query = store.after_query


def _array(value: Any) -> list[Any]:
    """A JSON array as PostgreSQL's JSON gives it (a list, None for no rows) or SQLite's
    (text)."""
    if isinstance(value, str):
        return list(msgspec.json.decode(value))
    return list(value or [])


Loaded = dict[int, tuple[dict[str, Any] | msgspec.Struct | None, int | None, int | str]]


_FIELDS = msgspec.structs.fields(WorkSessionOut)
_AT = {field.name: index for index, field in enumerate(_FIELDS)}

# A work session as pulled: WorkSessionOut's fields in their order, then what a tablet's
# field page snapshot holds. Built positionally from the session's tuple of fields
# (work_sessions.get_many_as_tuples): no dict per session of a page.
PulledSession = msgspec.defstruct(
    "PulledSession",
    [
        *((field.name, field.type) for field in _FIELDS),
        ("totals", dict[str, int]),
        ("cells", list[list[Any]]),
        ("slot_first", dt.datetime),
        ("slot_count", int),
        ("has_in_charge", bool),
    ],
    frozen=True,
)


def _session_data(
    fields: tuple[Any, ...], cells: headcounts.Cells, slot_minutes: int
) -> msgspec.Struct:
    """A work session as pulled, from its fields: totals per category, cells per slot and
    category, its slots as the first one and how many follow (a page of hundreds of
    sessions made thousands of timestamps), whether someone is in charge."""
    window = headcounts.window_of(
        fields[_AT["actual_start"]] or fields[_AT["planned_start"]],
        fields[_AT["planned_end"]],
        fields[_AT["actual_end"]],
        slot_minutes,
    )
    return PulledSession(
        *fields,
        # Most sessions of a page have no counts (planned ones): nothing to sum.
        headcounts.summarize(cells).by_category if cells else {},
        headcounts.cell_rows(cells) if cells else [],
        *window,
        in_charge_of(fields[_AT["staff"]]) is not None,
    )


async def _load(entity: str, ids: list[int], field: FieldSettings, now: dt.datetime) -> Loaded:
    """Current data of several things of one kind, in a few queries: per id, (data or None
    when gone, site id for scoping, the id clients know it by)."""
    found: Loaded = {}
    if entity == "site":
        for number, site in (await sites.get_many(ids)).items():
            found[number] = (msgspec.to_builtins(site), number, number)
    elif entity == "work_session":
        sessions, (cell_rows,) = await work_sessions.get_many_as_tuples(
            ids, headcounts.cells_query(ids)
        )
        cells = headcounts.cells_from_rows(ids, cell_rows)
        site_at = _AT["site_id"]
        for number, fields in sessions.items():
            found[number] = (
                _session_data(fields, cells[number], field.slot_minutes),
                fields[site_at],
                number,
            )
    elif entity == "incident":
        rows = await incidents.get_many_by_id(
            ids, now=now, report_minutes=field.incident_report_minutes
        )
        for number, row in rows.items():
            found[number] = (msgspec.to_builtins(row), row.site_id, row.uid)
    elif entity == "headcount_category":
        categories = await HeadcountCategory.select().where(
            HeadcountCategory._meta.primary_key.is_in(ids)
        )
        for category in categories:
            found[int(category["id"])] = (dict(category), None, int(category["id"]))
    else:
        people = await Staff.select(
            Staff._meta.primary_key, Staff.display_name, Staff.role, Staff.active
        ).where(Staff._meta.primary_key.is_in(ids))
        for person in people:
            found[int(person["id"])] = (dict(person), None, int(person["id"]))
    return found


async def pull(
    cursor: int, limit: int, actor: Actor, field: FieldSettings, device_id: str | None = None
) -> PullOut:
    """Changes after ``cursor`` in the caller's scope.

    Args:
        cursor: The last ``next_cursor`` the client saw (0 at first).
        limit: Audit entries to read at most.
        actor: Who asks.
        field: Field settings (overdue deadline, slot length).
        device_id: The asking tablet's device id: its high-water mark comes with the data,
            read in the same snapshot. Unknown or revoked ids are ignored.

    Returns:
        The changes, the next cursor, whether more remain, and the device's mark.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    high_water = None
    # Generic plans: every statement here is checked to read on its index under one
    # (tests/integration/test_sync_pull_plans.py), and planning each afresh cost more than
    # running it.
    async with db.reading(generic_plans=True):
        # Taken before the first read: the data is at least this recent.
        read_at = dt.datetime.now(dt.UTC)
        # The entries, the device's mark and the caller's sites: one round trip.
        mine = _sites_query(actor, cursor)
        mark = devices.mark_query(device_id) if is_uuid(device_id) else None
        (head,), *more = await db.fetch_many(
            after_query(cursor, limit), *(q for q in (mark, mine) if q is not None)
        )
        if mark is not None:
            found = more.pop(0)
            high_water = int(found[0]["high_water"]) if found else None
        scope = {int(r["site"]) for r in more[0]} if mine is not None else None
        latest: dict[tuple[str, int], int] = {}
        for seq, target in zip(_array(head["seqs"]), _array(head["targets"]), strict=True):
            entity, _, key = target.partition(":")
            if entity in ENTITIES and key.isdigit():
                # Each thing once, at its latest entry (the arrays keep the entries' order
                # but for what an aggregate may do: the max keeps it right either way).
                thing = (entity, int(key))
                latest[thing] = max(latest.get(thing, 0), seq)
        now = dt.datetime.now(dt.UTC)
        loaded: dict[str, Loaded] = {}
        for entity in ENTITIES:
            ids = [key for (kind, key) in latest if kind == entity]
            if ids:
                loaded[entity] = await _load(entity, ids, field, now)
    changes = []
    for (kind, number), seq in sorted(latest.items(), key=lambda item: item[1]):
        data, site_id, public_id = loaded[kind].get(number, (None, None, number))
        if scope is not None and site_id is not None and site_id not in scope:
            continue
        changes.append(Change(seq=seq, entity=kind, id=public_id, data=data))
    return PullOut(
        changes=changes,
        next_cursor=max(cursor, int(head["last"] or 0)),
        has_more=int(head["n"]) == limit,
        high_water=high_water,
        read_at=read_at,
    )
