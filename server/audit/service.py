"""The audit log: append-only entries, each hashing the one before.

``record`` must run inside the caller's write transaction so the audited change and its
entry commit together. Appends lock the single ``audit_head`` row, which serializes them on
PostgreSQL too; SQLite's IMMEDIATE transactions already do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, TypedDict, Unpack

import msgspec

from server import db, db_bulk
from server.audit.schemas import VerifyResult
from server.audit.tables import AuditEvent, AuditHead

GENESIS_HASH = "0" * 64


def _utc_iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


class Fields(TypedDict):
    """An entry's own fields, as hashed and stored (``detail`` as canonical JSON)."""

    occurred_at: dt.datetime
    actor_id: int | None
    device_id: str | None
    action: str
    target: str
    detail: str


def entry_hash(*, prev_hash: str, seq: int, **fields: Unpack[Fields]) -> str:
    """SHA-256 over one entry's fields and the previous hash, in a fixed canonical form:
    the JSON array ``[prev_hash, seq, occurred_at, actor_id, device_id, action, target,
    detail]``, written as its first two members and :func:`canonical_tail`.

    Returns:
        The hex digest.
    """
    head = msgspec.json.encode([prev_hash, seq])[:-1] + b","
    return hashlib.sha256(head + canonical_tail(**fields)).hexdigest()


def canonical_tail(**fields: Unpack[Fields]) -> bytes:
    """The canonical array of :func:`entry_hash` after its first two members (the previous
    hash and the sequence number, known only when the chain's head is locked), with its
    closing bracket."""
    return msgspec.json.encode(
        [
            _utc_iso(fields["occurred_at"]),
            fields["actor_id"],
            fields["device_id"],
            fields["action"],
            fields["target"],
            fields["detail"],
        ]
    )[1:]


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    """An entry to append. Ids and codes only, never names or free text."""

    action: str
    actor_id: int | None = None
    device_id: str | None = None
    target: str = ""
    detail: dict[str, Any] | None = None
    at: dt.datetime | None = None


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
# of the canonical array of :func:`entry_hash`, written as its first two members (the
# previous hash and the sequence number, known only under the lock) followed by
# :func:`canonical_tail`, which Python encodes beforehand. ``moved`` gives the last
# sequence number; no row when ``WHEN`` is false (nothing appended).
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
    fields = [_fields(entry, now) for entry in entries]
    arrays: list[list[Any]] = [[canonical_tail(**f).decode() for f in fields]]
    # One array per field, in the order of Fields (the order of unnest's columns).
    arrays.extend(list(column) for column in zip(*(f.values() for f in fields), strict=True))
    return APPEND_CTES.replace("(WHEN)", f"({when})"), arrays


def _fields(entry: Entry, now: dt.datetime) -> Fields:
    return {
        "occurred_at": entry.at or now,
        "actor_id": entry.actor_id,
        "device_id": entry.device_id,
        "action": entry.action,
        "target": entry.target,
        "detail": msgspec.json.encode(entry.detail or {}, order="sorted").decode(),
    }


async def record_many(entries: list[Entry]) -> list[int]:
    """Append entries in order, with one lock of the chain's head for all of them.

    Must run inside the caller's write transaction, so the audited changes and their
    entries commit together.

    Args:
        entries: What happened, in order.

    Returns:
        The entries' sequence numbers.
    """
    if not entries:
        return []
    async with db.writing():
        if db.is_postgres():
            ctes, args = append_ctes(entries)
            sql = f"WITH RECURSIVE {ctes} SELECT seq FROM moved"  # noqa: S608 - constants
            rows = await db.fetch(sql, *args)
        else:
            now = dt.datetime.now(dt.UTC)
            rows = await _append_sqlite([_fields(entry, now) for entry in entries])
    last = int(rows[0]["seq"])
    return list(range(last - len(entries) + 1, last + 1))


async def _append_sqlite(fields: list[Fields]) -> list[dict[str, Any]]:
    # The UPDATE takes the head row's lock before anything is read.
    rows = await db.fetch(
        "UPDATE audit_head SET seq = seq + {} WHERE id = 1 RETURNING seq, hash", len(fields)
    )
    last, prev_hash = int(rows[0]["seq"]), str(rows[0]["hash"])
    values: list[tuple[Any, ...]] = []
    for seq, entry in enumerate(fields, start=last - len(fields) + 1):
        digest = entry_hash(prev_hash=prev_hash, seq=seq, **entry)
        values.append((seq, *entry.values(), prev_hash, digest))
        prev_hash = digest
    await db_bulk.insert_many("audit_event", COLUMNS, values)
    await db.fetch("UPDATE audit_head SET hash = {} WHERE id = 1", prev_hash)
    return rows


async def record(
    action: str,
    *,
    actor_id: int | None = None,
    device_id: str | None = None,
    target: str = "",
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Append one entry (see :func:`record_many`). Callers pass ids and codes only.

    Args:
        action: What happened, e.g. ``auth.login``.
        actor_id: Staff id of who did it, if anyone.
        device_id: Registered device, when known.
        target: What it happened to, e.g. ``staff:12``.
        detail: Small JSON-able facts (ids, codes, counts).
        at: When; now if omitted.

    Returns:
        The entry's sequence number.
    """
    entry = Entry(
        action=action, actor_id=actor_id, device_id=device_id, target=target, detail=detail, at=at
    )
    return (await record_many([entry]))[0]


async def head_seq() -> int:
    """The sequence number of the latest entry (0 for an empty log): a pull cursor."""
    rows = await db.fetch("SELECT seq FROM audit_head WHERE id = 1")
    return int(rows[0]["seq"]) if rows else 0


async def verify(batch: int = 1000) -> VerifyResult:
    """Walk the chain from the start and check every link, then the head.

    Detects changed fields (hash mismatch), deleted or reordered rows (broken link or gap in
    ``seq``) and entries cut from the end (head disagrees).

    Args:
        batch: Rows read per query.

    Returns:
        Where the chain first breaks, if it does.
    """
    prev_hash, expected_seq, checked, last_seq = GENESIS_HASH, 1, 0, 0
    while True:
        rows = (
            await AuditEvent.select()
            .where(AuditEvent.seq > last_seq)
            .order_by(AuditEvent.seq)
            .limit(batch)
        )
        if not rows:
            break
        for row in rows:
            seq = int(row["seq"])
            if seq != expected_seq:
                return VerifyResult(
                    ok=False,
                    checked=checked,
                    broken_seq=seq,
                    reason=f"expected entry {expected_seq}",
                )
            if row["prev_hash"] != prev_hash:
                return VerifyResult(ok=False, checked=checked, broken_seq=seq, reason="link")
            digest = entry_hash(
                prev_hash=row["prev_hash"],
                seq=seq,
                occurred_at=row["occurred_at"],
                actor_id=row["actor_id"],
                device_id=row["device_id"],
                action=row["action"],
                target=row["target"],
                detail=row["detail"],
            )
            if digest != row["hash"]:
                return VerifyResult(ok=False, checked=checked, broken_seq=seq, reason="hash")
            prev_hash, expected_seq, last_seq = digest, seq + 1, seq
            checked += 1
    head = await AuditHead.select().where(AuditHead._meta.primary_key == 1).first()
    if head is None or int(head["seq"]) != last_seq or head["hash"] != prev_hash:
        return VerifyResult(ok=False, checked=checked, broken_seq=last_seq + 1, reason="end")
    return VerifyResult(ok=True, checked=checked)
