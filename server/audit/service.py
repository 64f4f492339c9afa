"""The audit log: append-only entries, each hashing the one before.

``record`` must run inside the caller's write transaction so the audited change and its
entry commit together. Appends lock the single ``audit_head`` row, which serializes them on
PostgreSQL too; SQLite's IMMEDIATE transactions already do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import msgspec

from server import db
from server.audit.schemas import VerifyResult
from server.audit.tables import AuditEvent, AuditHead

GENESIS_HASH = "0" * 64


def _utc_iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    occurred_at: dt.datetime,
    actor_id: int | None,
    device_id: str | None,
    action: str,
    target: str,
    detail: str,
) -> str:
    """SHA-256 over one entry's fields and the previous hash, in a fixed canonical form.

    Returns:
        The hex digest.
    """
    canonical = msgspec.json.encode(
        [prev_hash, seq, _utc_iso(occurred_at), actor_id, device_id, action, target, detail]
    )
    return hashlib.sha256(canonical).hexdigest()


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    """An entry to append. Ids and codes only, never names or free text."""

    action: str
    actor_id: int | None = None
    device_id: str | None = None
    target: str = ""
    detail: dict[str, Any] | None = None
    at: dt.datetime | None = None


COLUMNS: db.Columns = (
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
        # The UPDATE takes the head row's lock before anything is read.
        rows = await db.fetch(
            "UPDATE audit_head SET seq = seq + {} WHERE id = 1 RETURNING seq, hash", len(entries)
        )
        last, prev_hash = int(rows[0]["seq"]), str(rows[0]["hash"])
        now = dt.datetime.now(dt.UTC)
        values: list[tuple[Any, ...]] = []
        for seq, entry in enumerate(entries, start=last - len(entries) + 1):
            fields: dict[str, Any] = {
                "seq": seq,
                "occurred_at": entry.at or now,
                "actor_id": entry.actor_id,
                "device_id": entry.device_id,
                "action": entry.action,
                "target": entry.target,
                "detail": msgspec.json.encode(entry.detail or {}, order="sorted").decode(),
            }
            digest = entry_hash(prev_hash=prev_hash, **fields)
            values.append((*fields.values(), prev_hash, digest))
            prev_hash = digest
        if db.is_postgres():
            # One round trip while the head is locked: the entries and the new head together.
            await db.fetch(
                f"WITH added AS ({db.unnest_insert('audit_event', COLUMNS)}) "  # noqa: S608 - constants
                "UPDATE audit_head SET hash = {} WHERE id = 1",
                *db.by_column(values),
                prev_hash,
            )
            return list(range(last - len(entries) + 1, last + 1))
        await db.insert_many("audit_event", COLUMNS, values)
        await db.fetch("UPDATE audit_head SET hash = {} WHERE id = 1", prev_hash)
    return list(range(last - len(entries) + 1, last + 1))


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
