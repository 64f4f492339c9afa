"""Ops kept for supervisors (``sync_issue``): refused ones with their reason, conflicts
with both values. What is kept never holds a My Number or a control character."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from server import db
from server.common.errors import OpRejected
from server.common.mynumber import contains_my_number, mask_my_numbers
from server.common.text import has_control, is_uuid
from server.ops.envelope import tag_of
from server.sync import ops, store
from server.sync.schemas import OpResult, PushOut
from server.sync.tables import SyncIssue

REPLACEMENT = "\ufffd"
Explain = Callable[[OpRejected], str]
"""A refusal's message for an answer, in the sender's language."""


def english(error: OpRejected) -> str:
    """A refusal's message as its English message id, filled in."""
    return error.message % error.params if error.params else error.message


def op_type(op: ops.Op | ops.Unreadable) -> str:
    """The op's ``type`` tag (what an unreadable op claimed to be)."""
    if isinstance(op, ops.Unreadable):
        return op.kind
    return tag_of(type(op))


def clean(value: Any) -> Any:
    """``value`` (decoded JSON) with every My Number masked and every control character
    replaced, in strings and in integers alike (an integer holding one becomes text);
    UUIDs, ids a device or the server made, are kept as they are."""
    if isinstance(value, str):
        if is_uuid(value):
            # A generated id: about one random UUID in a thousand has hex groups that read
            # as 4-4-4 digits; masking it would break the op for review.
            return value
        if has_control(value):
            value = "".join(REPLACEMENT if has_control(c) else c for c in value)
        return mask_my_numbers(value)
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, dict):
            return {clean(k): clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value
    return mask_my_numbers(str(value)) if contains_my_number(str(value)) else value


def masked_json(value: Any) -> str:
    """``value`` as JSON text, cleaned (:func:`clean`) of what must never be stored."""
    if isinstance(value, msgspec.Struct):
        value = msgspec.to_builtins(value)
    return msgspec.json.encode(clean(value)).decode()


async def keep(
    device_id: str,
    op: ops.Op | ops.Unreadable,
    status: str,
    error: OpRejected,
    *,
    maker: int | None = None,
    uploaded_by: int | None = None,
    **extra: Any,
) -> None:
    """Keep ``op`` for review, with ``error`` as its reason (code, field, message id);
    ``maker``: who made it, when the op names nobody (the person who sent it)."""
    text = op.text if isinstance(op, ops.Unreadable) else masked_json(op)
    await SyncIssue.insert(
        SyncIssue(
            device_uid=device_id,
            seq=op.seq,
            op_id=op.op_id if is_uuid(op.op_id) else "",
            op_type=clean(op_type(op))[:40],
            status=status,
            code=error.code,
            field=clean(error.field or "")[:60],
            op=text,
            actor_id=op.actor_id if op.actor_id is not None else maker,
            message=error.message,
            params=masked_json(error.params),
            uploaded_by=uploaded_by,
            **extra,
        )
    )


async def awaiting_review(device_id: str, results: list[OpResult]) -> int:
    """How many of the ops a push found already received wait for a supervisor (they were
    refused or conflicted when they first arrived)."""
    seqs = [r.seq for r in results if r.status == "duplicate"]
    if not seqs:
        return 0
    rows = (
        await SyncIssue.select(SyncIssue.seq)
        .where(
            (SyncIssue.device_uid == device_id)
            & SyncIssue.seq.is_in(seqs)
            & (SyncIssue.resolved == False)  # noqa: E712 - a query, not a comparison
        )
        .distinct()
    )
    return len(rows)


kept_query = store.kept_query


async def answer_kept(
    answer: PushOut,
    device_id: str,
    explain: Explain,
    rows: Sequence[dict[str, Any]] | None = None,
) -> PushOut:
    """``answer`` with each op received before and refused then answered ``rejected`` with
    its reason, not ``duplicate``: a device whose answer was lost learns the refusal when
    it sends the op again. ``rows``: :func:`kept_query` already read (else it is read)."""
    seqs = [r.seq for r in answer.results if r.status == "duplicate"]
    if not seqs:
        return answer
    if rows is None:
        rows = await db.fetch(kept_query(device_id, min(seqs), max(seqs)))
    kept = {int(row["seq"]): row for row in rows}
    if not kept:
        return answer
    results = [
        _refused_again(r, kept[r.seq], explain) if r.seq in kept else r for r in answer.results
    ]
    return msgspec.structs.replace(answer, results=results)


def _refused_again(result: OpResult, row: dict[str, Any], explain: Explain) -> OpResult:
    params = msgspec.json.decode(row["params"] or "{}")
    error = OpRejected(
        str(row["code"]), str(row["message"] or row["code"]), field=row["field"] or None, **params
    )
    return OpResult(
        op_id=result.op_id,
        seq=result.seq,
        status="rejected",
        code=error.code,
        field=error.field,
        message=explain(error),
    )
