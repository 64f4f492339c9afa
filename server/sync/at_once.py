"""PostgreSQL: a push of new counts in one statement, committed on its own.

Most pushes are a tablet's next counts: every op a ``headcount.add`` that adds, by the
signed-in person, right after the device's mark. A transaction for them took four round
trips of its own (``BEGIN``, the device's row, the counts, ``COMMIT``), plus one to read
what the counts are checked against. Here the device's mark is read with the sessions
and categories, the counts are checked as always, and one statement moves the mark,
inserts the counts, adds them to their cells and appends their audit entries, under the
condition that the mark is still the one read. PostgreSQL commits a lone statement whole
or not at all, so exactly-once holds as in a transaction.

Anything else (another kind of op, a correction, a refused count, an id already stored,
a gap or ops sent before, another push of the device first, a deadlock) writes nothing
here and goes the general way (:mod:`server.sync.push`), which keeps every outcome. A
batch sent again whole is answered here from the mark, with nothing written.
"""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec

from server.common.errors import OpRejected
from server.headcounts import service as headcounts
from server.headcounts import store as headcount_store
from server.headcounts.batches import apply_counts_at_once
from server.ops.apply import check_op
from server.ops.context import Actor
from server.settings import FieldSettings
from server.sync import devices, ops
from server.sync.keep import Explain, answer_kept, english, kept_query
from server.sync.schemas import Batch, OpResult, PushOut

# The database chose the statement to end a deadlock: the general way retries.
# A value the statement could not take: the general way refuses that op alone.
GIVE_WAY = (
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DataError,
)


def _new_counts(batch: Batch, actor: Actor) -> list[ops.HeadcountAdd] | None:
    """The batch's ops as counts of the signed-in person's that add, or None."""
    counts: list[ops.HeadcountAdd] = []
    for op in batch.ops:
        if (
            not isinstance(op, ops.HeadcountAdd)
            or op.payload.delta <= 0
            or op.actor_id not in (None, actor.staff_id)
        ):
            return None
        counts.append(op)
    return counts or None


def _checked(counts: list[ops.HeadcountAdd]) -> bool:
    """Whether every count passes ``check_op`` (only for counts to be written: a batch
    sent again is answered from the mark)."""
    try:
        for op in counts:
            check_op(op)
    except OpRejected:
        return False
    return True


def _of_device(counts: list[ops.HeadcountAdd], device_id: str) -> list[ops.HeadcountAdd]:
    """The counts, each naming the device that sent them. Only for counts to be written:
    a batch sent again (answered from the mark) had spent a copy of each op on it."""
    return [
        op if op.device_id == device_id else msgspec.structs.replace(op, device_id=device_id)
        for op in counts
    ]


async def push_at_once(
    batch: Batch, actor: Actor, field: FieldSettings, explain: Explain = english
) -> PushOut | None:
    """Apply a batch of new counts in one statement (PostgreSQL, no transaction open).

    Args:
        batch: A checked batch (``push._check_batch``).
        actor: The signed-in person.
        field: Field-work settings.
        explain: A refusal's message, for ops sent again that were refused before.

    Returns:
        The answer; or None, with nothing written, when the batch must go the general way
        (on SQLite always: a transaction costs it no round trips).
    """
    if not headcount_store.can_guard():
        return None
    counts = _new_counts(batch, actor)
    if counts is None:
        return None
    prepared = await headcounts.prepare_adds(
        counts,
        field.slot_minutes,
        devices.mark_query(batch.device_id),
        kept_query(batch.device_id, counts[0].seq or 0, counts[-1].seq or 0),
    )
    mark_rows, kept_rows = prepared.also
    if not mark_rows:
        return None  # unknown or revoked: the general way refuses it
    mark = int(mark_rows[0]["high_water"])
    split = devices.split_batch(mark, batch)
    if not split.fresh:
        return await answer_kept(devices.nothing_new(split), batch.device_id, explain, kept_rows)
    if split.duplicates or split.gap is not None or not _checked(counts):
        return None
    counts = _of_device(counts, batch.device_id)
    now = dt.datetime.now(dt.UTC)
    guard = devices.advance_guard(batch.device_id, mark, split.mark, now, actor.staff_id)
    try:
        if not await apply_counts_at_once(prepared, counts, actor, field, guard, now=now):
            return None
    except GIVE_WAY:
        return None
    return PushOut(
        high_water=split.mark,
        results=[OpResult(op_id=op.op_id, seq=op.seq or 0, status="applied") for op in counts],
    )
