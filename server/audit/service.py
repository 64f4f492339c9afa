"""The audit log: append-only entries, each hashing the one before.

``record`` must run inside the caller's write transaction so the audited change and its
entry commit together. Appends lock the single ``audit_head`` row, which serializes them on
PostgreSQL too; SQLite's IMMEDIATE transactions already do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from server import db
from server.audit import store
from server.audit.chain import GENESIS_HASH, Entry, Fields, canonical_tail, entry_hash
from server.audit.schemas import VerifyResult
from server.audit.store import append_ctes
from server.audit.tables import AuditEvent, AuditHead

__all__ = [
    "GENESIS_HASH",
    "Entry",
    "Fields",
    "append_ctes",
    "canonical_tail",
    "entry_hash",
    "head_seq",
    "record",
    "record_many",
    "verify",
]


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
        last = await store.append(entries)
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
    return await store.head_seq()


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
