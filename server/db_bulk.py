"""Bulk writes: many rows in one statement (PostgreSQL) or one ``executemany`` (SQLite).

PostgreSQL's bulk writes insert from one JSON argument read as a table
(:func:`json_recordset`), inside statements of their own that a :class:`Guard` may put
conditions in front of; SQLite's run a one-row statement for every row on the open
transaction's connection (:func:`insert_many`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import msgspec

from server import db


class Guard(NamedTuple):
    """PostgreSQL: a writer's own CTEs, put first in another writer's statement, and the
    condition on them under which that statement writes. Nothing else is written when it is
    false (its CTEs may have written, under their own conditions). ``when`` takes no
    arguments of its own: it may be asked more than once."""

    ctes: str
    args: list[Any]
    when: str


Columns = tuple[tuple[str, str], ...]  # (name, PostgreSQL type) of each column


def json_recordset(columns: Columns) -> str:
    """PostgreSQL: ``json_to_recordset(…) AS r(…)``, the rows of one JSON argument
    (:func:`json_rows`) as a table to insert from: one short statement, prepared once.

    One array per column (``unnest``) costs the driver Python work per value (it asks of
    each element whether it is itself an array); one text argument costs it nothing, and
    the server parses the JSON in C.
    """
    record = ", ".join(f"{name} {kind}" for name, kind in columns)
    return f"json_to_recordset({{}}::json) AS r({record})"


_ENCODE = msgspec.json.Encoder().encode


def json_rows(columns: Columns, rows: list[tuple[Any, ...]]) -> str:
    """The rows as the JSON argument of :func:`json_recordset` (datetimes as RFC 3339)."""
    names = [name for name, _ in columns]
    return _ENCODE([dict(zip(names, row, strict=True)) for row in rows]).decode()


async def insert_many(
    table: str, columns: Columns, rows: list[tuple[Any, ...]], *, suffix: str = ""
) -> int:
    """SQLite: insert many rows in the open transaction, with ``executemany`` of a one-row
    statement (a single statement of hundreds of rows took longer: parsing, binding, no
    reuse). PostgreSQL's bulk writes insert from :func:`json_recordset` within their own
    statements.

    Args:
        table: The table.
        columns: Its columns in the rows' order.
        rows: The values.
        suffix: ``ON CONFLICT …`` (no ``RETURNING``: ``executemany`` returns no rows).

    Returns:
        How many rows were written (``ON CONFLICT … DO NOTHING`` skips some).
    """
    if not rows:
        return 0
    names = ", ".join(name for name, _ in columns)
    marks = ", ".join("?" for _ in columns)
    connection = db.transaction_connection()
    written: int = await connection.execute_many(
        f"INSERT INTO {table} ({names}) VALUES ({marks}) {suffix}",  # noqa: S608 - constants
        rows,
    )
    return written
