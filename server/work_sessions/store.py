"""Hand-written statements of work sessions: the reads a pull and every synced push make
by the hundred, one statement shape per engine.

Their rows become :class:`~server.work_sessions.schemas.WorkSessionOut` in C (msgspec,
:mod:`server.work_sessions.reads`) rather than through Piccolo's converters, which run
Python on every value.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
from piccolo.querystring import QueryString

from server import db
from server.work_sessions.schemas import WorkSessionOut

# What a WorkSessionOut is made of, in its fields' order: PostgreSQL's rows are its fields
# as they are (fetch_records). SQLite's dates and times come as the stored text, which
# msgspec parses.
FIELDS = tuple(f.name for f in msgspec.structs.fields(WorkSessionOut) if f.name != "staff")
MOMENTS = ("planned_start", "planned_end", "actual_start", "actual_end")
_TIMES = ("work_date", *MOMENTS)
_SOURCES = {
    "site_id": "ws.site",
    "site_name_ja": "s.name_ja",
    "site_name_en": "s.name_en",
    "site_kind": "s.kind",
    "site_venue_service": "s.venue_service",
}


@functools.cache
def _select(postgres: bool) -> str:
    columns = []
    for name in FIELDS:
        source = _SOURCES.get(name, f"ws.{name}")
        if name in _TIMES and not postgres:
            source = f"CAST({source} AS TEXT)"
        columns.append(f"{source} AS {name}")
    return (
        f"SELECT {', '.join(columns)} FROM work_session ws "  # noqa: S608 - constants
        "JOIN site s ON s.id = ws.site WHERE {}"
    )


def many_query(ids: Iterable[int]) -> QueryString:
    """Work sessions by id (without staff), to read alone or with others."""
    return QueryString(_select(db.is_postgres()), db.one_of("ws.id", sorted(set(ids))))


def staff_query(session_ids: Sequence[int]) -> QueryString:
    """The people working several sessions, with their duty."""
    return QueryString(
        "SELECT wss.work_session, s.id AS staff_id, s.display_name, s.role, wss.duty "
        "FROM work_session_staff wss JOIN staff s ON s.id = wss.staff WHERE {}",
        db.one_of("wss.work_session", session_ids),
    )


async def session_rows(ids: Iterable[int]) -> tuple[list[Any], bool]:
    """Work sessions by id: PostgreSQL's rows as the driver gives them, typed values in
    :data:`FIELDS` order (True); SQLite's as dicts of the stored text (False)."""
    query = many_query(ids)
    if db.is_postgres():
        return await db.fetch_records(query), True
    return await db.fetch(query), False
