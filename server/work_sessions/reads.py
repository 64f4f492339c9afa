"""Reading work sessions: by id, many at once, and by filters.

The pull and every synced push read sessions by the hundred, so the hot reads are plain
SQL (:mod:`server.work_sessions.store`), and their rows become :class:`WorkSessionOut` in
C (msgspec) rather than through Piccolo's converters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import msgspec
from piccolo.querystring import QueryString

from server import db
from server.work_sessions import store
from server.work_sessions.schemas import Assignment, WorkSessionOut
from server.work_sessions.tables import WorkSession, WorkSessionStaff


def _columns() -> list[Any]:
    return [
        *WorkSession.all_columns(),
        WorkSession.site.name_ja.as_alias("site_name_ja"),
        WorkSession.site.name_en.as_alias("site_name_en"),
        WorkSession.site.kind.as_alias("site_kind"),
        WorkSession.site.venue_service.as_alias("site_venue_service"),
    ]


def _staff_from_rows(rows: list[dict[str, Any]]) -> dict[int, list[Assignment]]:
    found: dict[int, list[Assignment]] = {}
    for row in rows:
        found.setdefault(int(row["work_session"]), []).append(
            msgspec.convert(row, Assignment, strict=False)
        )
    for people in found.values():
        people.sort(key=lambda a: (a.duty != "in_charge", a.display_name))
    return found


async def _staff_of(session_ids: list[int]) -> dict[int, list[Assignment]]:
    if not session_ids:
        return {}
    return _staff_from_rows(await db.fetch(store.staff_query(session_ids)))


def _out(row: dict[str, Any], staff: list[Assignment], *, naive: bool = False) -> WorkSessionOut:
    session = msgspec.convert({**row, "staff": staff}, WorkSessionOut, strict=False)
    if naive and (
        session.planned_start.tzinfo is None
        or session.planned_end.tzinfo is None
        or (session.actual_start is not None and session.actual_start.tzinfo is None)
        or (session.actual_end is not None and session.actual_end.tzinfo is None)
    ):
        # Stored without an offset (SQLite text): UTC, as Piccolo reads such a value.
        session = msgspec.structs.replace(
            session,
            **{
                name: value.replace(tzinfo=dt.UTC)
                for name in store.MOMENTS
                if isinstance(value := getattr(session, name), dt.datetime) and value.tzinfo is None
            },
        )
    return session


many_query = store.many_query


def from_rows(
    rows: list[dict[str, Any]], staff: dict[int, list[Assignment]] | None = None
) -> dict[int, WorkSessionOut]:
    """Sessions by id from the rows of :func:`many_query`."""
    staff = staff or {}
    # Only SQLite's text can come without an offset (PostgreSQL's timestamptz never does).
    return {int(r["id"]): _out(r, staff.get(int(r["id"]), []), naive=True) for r in rows}


async def get_many(ids: Iterable[int], *, with_staff: bool = True) -> dict[int, WorkSessionOut]:
    """Work sessions by id (unknown ids are left out), with their staff unless not needed."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await db.fetch(many_query(wanted))
    staff = await _staff_of([int(r["id"]) for r in rows]) if with_staff and rows else {}
    return from_rows(rows, staff)


async def get(work_session_id: int) -> WorkSessionOut | None:
    """One work session with its staff, or None."""
    return (await get_many([work_session_id])).get(work_session_id)


async def search(
    *,
    site_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    status: str | None = None,
    staff_id: int | None = None,
    limit: int = 200,
) -> list[WorkSessionOut]:
    """Work sessions matching the filters, newest date first.

    Args:
        site_id: Only this site.
        date_from: From this date on.
        date_to: Up to this date.
        status: Only this status.
        staff_id: Only sessions this person works.
        limit: At most this many.

    Returns:
        The sessions with their staff.
    """
    query = WorkSession.select(*_columns())
    if site_id is not None:
        query = query.where(WorkSession.site == site_id)
    if date_from is not None:
        query = query.where(WorkSession.work_date >= date_from)
    if date_to is not None:
        query = query.where(WorkSession.work_date <= date_to)
    if status:
        query = query.where(WorkSession.status == status)
    if staff_id is not None:
        mine = WorkSessionStaff.select(WorkSessionStaff.work_session).where(
            WorkSessionStaff.staff == staff_id
        )
        query = query.where(WorkSession._meta.primary_key.is_in(mine))
    rows = (
        await query.order_by(WorkSession.work_date, ascending=False)
        .order_by(WorkSession.planned_start)
        .limit(limit)
    )
    staff = await _staff_of([int(r["id"]) for r in rows])
    # Piccolo read these rows: its converters give aware times.
    return [_out({**r, "site_id": r["site"]}, staff.get(int(r["id"]), [])) for r in rows]


async def get_many_as_tuples(
    ids: Iterable[int], *also: QueryString
) -> tuple[dict[int, tuple[Any, ...]], list[list[dict[str, Any]]]]:
    """:func:`get_many`'s sessions as tuples of WorkSessionOut's fields in order, staff
    last: the cheapest shape to build another struct from (``Struct(*fields, …)``), for a
    pull page that turns hundreds of sessions into its answer. ``also``: a caller's own
    queries, read with the sessions' staff (one round trip on PostgreSQL).

    PostgreSQL's rows are those tuples already, typed by the driver: no dict and no
    conversion per row, a third of such a page. SQLite's text goes through WorkSessionOut.

    Returns:
        The sessions by id, and the rows of each of ``also``.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return {}, await db.fetch_many(*also) if also else []
    # PostgreSQL: the driver's rows, already the tuples; SQLite: dicts of text to parse.
    rows, typed = await store.session_rows(wanted)
    staff_rows, *more = await db.fetch_many(store.staff_query(wanted), *also)
    staff = _staff_from_rows(staff_rows)
    if not typed:
        sessions = from_rows(rows, staff)
        return {key: msgspec.structs.astuple(s) for key, s in sessions.items()}, more
    return {row[0]: (*row, staff.get(row[0], [])) for row in rows}, more
