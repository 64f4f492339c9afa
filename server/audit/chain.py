"""The audit chain's canonical form: what an entry is, and how its hash is made."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, TypedDict, Unpack

import msgspec

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


def fields_of(entry: Entry, now: dt.datetime) -> Fields:
    """An entry's fields as hashed and stored (``now`` when it names no time)."""
    return {
        "occurred_at": entry.at or now,
        "actor_id": entry.actor_id,
        "device_id": entry.device_id,
        "action": entry.action,
        "target": entry.target,
        "detail": msgspec.json.encode(entry.detail or {}, order="sorted").decode(),
    }
