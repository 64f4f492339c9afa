"""Appending to the audit chain: the statements that lock its head and insert entries.

PostgreSQL appends in one statement (common table expressions a writer may also put in its
own statement: :func:`append_ctes`); SQLite's write transaction already holds the lock, so
there Python hashes the entries between two small updates of the head.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.querystring import QueryString

from server import db, db_bulk
from server.audit.chain import Entry, Fields, canonical_tail, entry_hash, fields_of

COLUMNS: db_bulk.Columns = (
    ("seq", "bigint"),
    ("occurred_at", "timestamptz"),
    ("actor_id", "integer"),
    ("device_id", "text"),
    ("action", "text"),
    ("target", "text"),
    ("detail", "text"),
    ("prev_hash", "text"),
    ("hash", "text"),
)


# PostgreSQL: the whole append as common table expressions, so the head is locked for one
# round trip and the commit, and a writer can append within its own statement (see
# :func:`append_ctes`). The chain is made by the recursive CTE: each entry's hash is SHA-256
# of the canonical array of :func:`~server.audit.chain.entry_hash`, written as its first
# two members (the previous hash and the sequence number, known only under the lock)
# followed by :func:`~server.audit.chain.canonical_tail`, which Python encodes beforehand.
# ``moved`` gives the last sequence number; no row when ``WHEN`` is false (nothing
# appended).
APPEND_CTES = """
head AS (SELECT seq, hash FROM audit_head WHERE id = 1 AND (WHEN) FOR UPDATE),
entry AS (
    SELECT * FROM unnest({}::text[], {}::timestamptz[], {}::integer[], {}::text[],
        {}::text[], {}::text[], {}::text[])
        WITH ORDINALITY AS e(tail, occurred_at, actor_id, device_id, action, target, detail, i)
),
chain AS (
    SELECT 0::bigint AS i, seq, hash::text, NULL::text AS prev_hash FROM head
    UNION ALL
    SELECT c.i + 1, c.seq + 1, encode(sha256(convert_to(
            '["' || c.hash || '",' || (c.seq + 1)::text || ',' || e.tail, 'UTF8')), 'hex'),
        c.hash
    FROM chain c JOIN entry e ON e.i = c.i + 1
),
logged AS (
    INSERT INTO audit_event (seq, occurred_at, actor_id, device_id, action, target, detail,
        prev_hash, hash)
    SELECT c.seq, e.occurred_at, e.actor_id, e.device_id, e.action, e.target, e.detail,
        c.prev_hash, c.hash
    FROM chain c JOIN entry e ON e.i = c.i
),
moved AS (
    UPDATE audit_head SET seq = last.seq, hash = last.hash
    FROM (SELECT seq, hash FROM chain ORDER BY i DESC LIMIT 1) AS last
    WHERE audit_head.id = 1
    RETURNING audit_head.seq
)
"""


def append_ctes(entries: list[Entry], when: str = "TRUE") -> tuple[str, list[Any]]:
    """PostgreSQL: the CTEs that append ``entries`` (``head``, ``entry``, ``chain``,
    ``logged``, ``moved``) for a ``WITH RECURSIVE`` statement of the caller's, and their
    arguments (after any the caller's ``when`` takes).

    Args:
        entries: What happened, in order (at least one).
        when: An SQL condition; false, nothing is appended and ``moved`` has no row.
            Conditions on the caller's own CTEs also make them run before the head is
            locked (the head stays locked until the commit).

    Returns:
        The CTEs' text and their arguments.
    """
    now = dt.datetime.now(dt.UTC)
    fields = [fields_of(entry, now) for entry in entries]
    arrays: list[list[Any]] = [[canonical_tail(**f).decode() for f in fields]]
    # One array per field, in the order of Fields (the order of unnest's columns).
    arrays.extend(list(column) for column in zip(*(f.values() for f in fields), strict=True))
    return APPEND_CTES.replace("(WHEN)", f"({when})"), arrays


async def append(entries: list[Entry]) -> int:
    """Append entries in order, in the open write transaction, with one lock of the
    chain's head for all of them.

    Returns:
        The last entry's sequence number.
    """
    if db.is_postgres():
        ctes, args = append_ctes(entries)
        sql = f"WITH RECURSIVE {ctes} SELECT seq FROM moved"  # noqa: S608 - constants
        rows = await db.fetch(QueryString(sql, *args))
        return int(rows[0]["seq"])
    now = dt.datetime.now(dt.UTC)
    return await _append_sqlite([fields_of(entry, now) for entry in entries])


async def _append_sqlite(fields: list[Fields]) -> int:
    # The UPDATE takes the head row's lock before anything is read.
    rows = await db.fetch(
        QueryString(
            "UPDATE audit_head SET seq = seq + {} WHERE id = 1 RETURNING seq, hash", len(fields)
        )
    )
    last, prev_hash = int(rows[0]["seq"]), str(rows[0]["hash"])
    values: list[tuple[Any, ...]] = []
    for seq, entry in enumerate(fields, start=last - len(fields) + 1):
        digest = entry_hash(prev_hash=prev_hash, seq=seq, **entry)
        values.append((seq, *entry.values(), prev_hash, digest))
        prev_hash = digest
    await db_bulk.insert_many("audit_event", COLUMNS, values)
    await db.fetch(QueryString("UPDATE audit_head SET hash = {} WHERE id = 1", prev_hash))
    return last


async def head_seq() -> int:
    """The sequence number of the latest entry (0 for an empty log)."""
    rows = await db.fetch(QueryString("SELECT seq FROM audit_head WHERE id = 1"))
    return int(rows[0]["seq"]) if rows else 0
