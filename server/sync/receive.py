"""A push's body received: answered from the device's mark when it was sent before, else
read whole and applied (:mod:`server.sync.push`).

A device whose answer was lost sends the same batch again. Reading it whole (every op's
payload typed and checked) cost most of such a push's time, though every op in it is a
duplicate answered by its ``seq`` and ``op_id`` alone. Each worker keeps the last mark it
answered for each device (:class:`MarkHints`): a batch whose every ``seq`` is at or below
it is read for those two fields only and answered from the mark read in the database, as
it stands now. The hint only chooses the way; a hint that is wrong or missing costs time,
never an answer, since marks only grow and the mark read decides.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated

import msgspec

from server import db
from server.common.text import COUNTER_MAX, OpId, Uuid
from server.ops.context import Actor
from server.settings import FieldSettings
from server.sync import devices
from server.sync import push as push_service
from server.sync.intake import read_batch
from server.sync.keep import Explain, answer_kept, kept_query
from server.sync.schemas import MAX_BATCH, SCHEMA_VERSIONS, OpResult, PushOut

HINTS_KEPT = 10_000  # devices a worker remembers; past that it starts again from none


class _Head(msgspec.Struct, frozen=True):
    """What a duplicate's answer needs of an op (its other fields are not read)."""

    seq: Annotated[int, msgspec.Meta(ge=1, le=COUNTER_MAX)]
    op_id: OpId | None = None
    device_id: Uuid | None = None


class _Heads(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    device_id: Uuid
    schema_version: int
    ops: list[_Head] = []


_HEADS = msgspec.json.Decoder(_Heads)


class MarkHints:
    """The last mark this worker answered for each device: a lower bound of its mark."""

    def __init__(self, size: int = HINTS_KEPT) -> None:
        self._marks: dict[str, int] = {}
        self._size = size

    def covers(self, device_id: str, last_seq: int) -> bool:
        """Whether a batch ending at ``last_seq`` was all applied before, as far as known."""
        return last_seq <= self._marks.get(device_id, 0)

    def note(self, device_id: str, mark: int) -> None:
        """Remember ``mark`` (the higher of it and the one known)."""
        if len(self._marks) >= self._size and device_id not in self._marks:
            self._marks.clear()
        if mark > self._marks.get(device_id, 0):
            self._marks[device_id] = mark


def _heads(body: bytes) -> _Heads | None:
    """The batch's envelope and each op's ``seq`` and ``op_id``; None when it is no
    well-formed batch (it is then read whole, which says what is wrong)."""
    try:
        heads = _HEADS.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, UnicodeDecodeError):
        return None
    return heads if heads.ops else None


def _in_order(heads: _Heads) -> bool:
    """Whether the whole reading would take the batch as it is: a known schema, not too
    many ops, each of this device, in ``seq`` order."""
    ops = heads.ops
    return (
        heads.schema_version in SCHEMA_VERSIONS
        and len(ops) <= MAX_BATCH
        and all(op.device_id in (None, heads.device_id) for op in ops)
        and all(a.seq < b.seq for a, b in pairwise(ops))
    )


async def _replayed(heads: _Heads, explain: Explain) -> PushOut | None:
    """The answer to a batch applied before, from the live device's mark and the refusals
    kept for it (one round trip); None when some op is after the mark or the device is
    not live (the whole reading answers those)."""
    device_id = heads.device_id
    marks, kept = await db.fetch_many(
        devices.mark_query(device_id),
        kept_query(device_id, heads.ops[0].seq, heads.ops[-1].seq),
    )
    if not marks or heads.ops[-1].seq > int(marks[0]["high_water"]):
        return None
    answer = PushOut(
        high_water=int(marks[0]["high_water"]),
        results=[OpResult(op_id=op.op_id, seq=op.seq, status="duplicate") for op in heads.ops],
    )
    return await answer_kept(answer, device_id, explain, kept)


async def receive(
    body: bytes, actor: Actor, field: FieldSettings, explain: Explain, hints: MarkHints
) -> PushOut:
    """Answer a push's body (see the module's notes).

    Raises:
        SyncError: As :func:`server.sync.push.push`, and for a body that is no batch.
    """
    heads = _heads(body)
    if heads is not None and hints.covers(heads.device_id, heads.ops[-1].seq) and _in_order(heads):
        answer = await _replayed(heads, explain)
        if answer is not None:
            return answer
    batch = read_batch(body)
    answer = await push_service.push(batch, actor, field, explain=explain)
    hints.note(batch.device_id, answer.high_water)
    return answer
