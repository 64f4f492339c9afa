"""Hand-written statements of sync: each device's high-water mark, the refusals kept for
its ops, and the reads every pull starts with.

The mark's statements run on every push and the pull's on every pull: plain SQL, each a
single round trip.
"""

from __future__ import annotations

import datetime as dt

from piccolo.querystring import QueryString

from server import db, db_bulk

DEVICE_ID_LENGTH = 36  # a UUID as text: what a device id is at most


def mark_query(device_id: str, *, live_only: bool = True) -> QueryString:
    """A device's high-water mark (none for a revoked device unless not ``live_only``)."""
    revoked = " AND revoked_at IS NULL" if live_only else ""
    return QueryString(
        f"SELECT high_water FROM device WHERE uid = {{}}{revoked}",  # noqa: S608 - constants
        device_id[:DEVICE_ID_LENGTH],
    )


async def mark_or_guess(device_id: str, guess: int | None) -> int | None:
    """The mark a push starts from: on PostgreSQL ``guess`` (reading the mark would cost a
    round trip; :func:`take_from` checks the guess in its own statement), on SQLite the
    live device's mark as read (free there, and a batch sent again then needs no write
    lock)."""
    if db.is_postgres():
        return guess
    rows = await db.fetch(mark_query(device_id))
    return int(rows[0]["high_water"]) if rows else None


def advance_guard(device_id: str, mark: int, to: int, now: dt.datetime, by: int) -> db_bulk.Guard:
    """PostgreSQL: a writer's statement moves the device's mark from ``mark`` to ``to``
    (noting it used by ``by``) and writes only if the mark was still ``mark`` (no other
    push of the device came first) and the device is live. The row is locked first, as a
    push's transaction locks it."""
    return db_bulk.Guard(
        "advanced AS (UPDATE device SET last_seen_at = {}, last_user = {}, high_water = {} "
        "WHERE uid = {} AND high_water = {} AND revoked_at IS NULL RETURNING 1)",
        [now, by, to, device_id, mark],
        "EXISTS (SELECT 1 FROM advanced)",
    )


# PostgreSQL: the device's row locked, its mark before, and the mark moved to where the
# batch takes it if it was the one guessed: one statement, right guess or wrong. Each
# statement noting the device seen notes who used it too (a null ``by``, the sender of an
# uploaded file, keeps the user before).
TAKE_PG = (
    "UPDATE device AS d SET last_seen_at = {}, last_user = COALESCE({}, d.last_user), "
    "high_water = CASE WHEN o.high_water = {} THEN {} ELSE o.high_water END "
    "FROM (SELECT id, high_water FROM device WHERE uid = {} AND revoked_at IS NULL "
    "FOR UPDATE) AS o WHERE d.id = o.id RETURNING o.high_water AS before"
)


async def take_from(
    device_id: str, now: dt.datetime, by: int | None, known: int, to: int
) -> int | None:
    """Lock the live device's row, note it seen at ``now`` and used by ``by``, and move
    its mark to ``to`` if it is still ``known``.

    Returns:
        The mark it had (``known`` when it moved); None for an unknown or revoked device.
    """
    if db.is_postgres():
        rows = await db.fetch(QueryString(TAKE_PG, now, by, known, to, device_id))
        return int(rows[0]["before"]) if rows else None
    rows = await db.fetch(
        QueryString(
            "UPDATE device SET last_seen_at = {}, last_user = COALESCE({}, last_user), "
            "high_water = {} WHERE uid = {} AND high_water = {} AND revoked_at IS NULL "
            "RETURNING high_water",
            now,
            by,
            to,
            device_id,
            known,
        )
    )
    return known if rows else await take(device_id, now, by)


async def take(device_id: str, now: dt.datetime, by: int | None) -> int | None:
    """Lock the live device's row and note it seen at ``now`` and used by ``by``.

    Returns:
        Its mark; None for an unknown or revoked device.
    """
    rows = await db.fetch(
        QueryString(
            "UPDATE device SET last_seen_at = {}, last_user = COALESCE({}, last_user) "
            "WHERE uid = {} AND revoked_at IS NULL RETURNING high_water",
            now,
            by,
            device_id,
        )
    )
    return int(rows[0]["high_water"]) if rows else None


async def set_mark(device_id: str, mark: int) -> None:
    """Move the (locked) device's mark."""
    await db.fetch(QueryString("UPDATE device SET high_water = {} WHERE uid = {}", mark, device_id))


def kept_query(device_id: str, first: int, last: int) -> QueryString:
    """The refusals kept for a device's ops ``first``..``last`` that no supervisor
    accepted."""
    return QueryString(
        "SELECT seq, code, field, message, params FROM sync_issue WHERE device_uid = {} "
        "AND seq >= {} AND seq <= {} AND status = 'rejected' AND resolution <> 'accepted'",
        device_id,
        first,
        last,
    )


def sites_query(staff_id: int, cursor: int) -> QueryString:
    """The sites a person works at, if anything changed after ``cursor``.

    An operator's sessions grow with the history, so an empty pull (nothing after the
    cursor) must not read them. The last entry is read backwards on the index whatever the
    plan: PostgreSQL's generic plan for an ``EXISTS (… WHERE seq > $n)`` scanned the whole
    log, and it chooses that plan for a cached statement when its estimates say so.
    """
    return QueryString(
        "SELECT DISTINCT ws.site FROM work_session_staff wss "
        "JOIN work_session ws ON ws.id = wss.work_session WHERE wss.staff = {} "
        "AND (SELECT max(seq) FROM audit_event) > {}",
        staff_id,
        cursor,
    )


def after_query(cursor: int, limit: int) -> QueryString:
    """The audit entries after ``cursor`` (at most ``limit``), as one row: how many, the
    last ``seq``, and their ``seq`` and ``target`` as two JSON arrays in one order.

    Two arrays, not a row each: read with the others (:func:`server.db.fetch_many`),
    entries as objects had cost PostgreSQL their JSON and Python a dict apiece.
    """
    as_array = "json_agg" if db.is_postgres() else "json_group_array"
    return QueryString(
        f"SELECT count(*) AS n, max(seq) AS last, {as_array}(seq) AS seqs, "  # noqa: S608 - constants
        f"{as_array}(target) AS targets FROM (SELECT seq, target FROM audit_event "
        "WHERE seq > {} ORDER BY seq LIMIT {}) AS a",
        cursor,
        limit,
    )
