"""Push: a batch of a device's ops, applied exactly once, in one transaction.

The device's high-water ``seq`` moves in the same transaction as the ops it covers, so a
batch sent twice (a lost answer, a killed server) changes nothing the second time. An op
with ``seq`` at or below the mark is a duplicate; a ``seq`` that skips ahead stops the
batch (the client resends from the mark). Each op runs inside a savepoint: a rejected op
is rolled back alone, kept for supervisors, and still advances the mark, so one bad op
never blocks the ones behind it.

On PostgreSQL a batch of new counts, the common push, is one statement instead
(:mod:`server.sync.at_once`); whatever that cannot apply whole comes here.
"""

from __future__ import annotations

import sqlite3
from operator import attrgetter
from typing import Any

import asyncpg
import msgspec

from server import db
from server.audit import service as audit
from server.common.errors import OpRejected
from server.messages import N_
from server.settings import FieldSettings
from server.sync import devices, ops
from server.sync.at_once import push_at_once
from server.sync.context import Actor
from server.sync.schemas import (
    MAX_BATCH,
    SCHEMA_VERSIONS,
    OpResult,
    PushIn,
    PushOut,
    SyncError,
)
from server.sync.service import apply_counts, apply_op, op_type
from server.sync.tables import SyncIssue

MAX_OP_ID = 40
INTEGRITY_ERRORS = (sqlite3.IntegrityError, asyncpg.exceptions.IntegrityConstraintViolationError)
RETRYABLE = (asyncpg.exceptions.DeadlockDetectedError, asyncpg.exceptions.SerializationError)
DEADLOCK_TRIES = 3
SEQ = attrgetter("seq")


def _check_batch(batch: PushIn) -> None:
    if batch.schema_version not in SCHEMA_VERSIONS:
        raise SyncError(
            "schema_version",
            N_("This app is out of date. Reload the page to update; unsent work is kept."),
            409,
        )
    if len(batch.ops) > MAX_BATCH:
        raise SyncError("batch_too_large", N_("Too many changes in one batch."))
    previous = 0
    for op in batch.ops:
        if op.seq is None or op.seq < 1 or op.device_id not in (None, batch.device_id):
            raise SyncError("op_invalid", N_("A change in the batch has no valid sequence."))
        if op.op_id is not None and not 0 < len(op.op_id) <= MAX_OP_ID:
            raise SyncError("op_invalid", N_("A change in the batch has no valid id."))
        if op.seq <= previous:
            raise SyncError("op_order", N_("Changes in a batch must be in sequence order."))
        previous = op.seq


async def _keep(
    batch: PushIn, op: ops.Op, status: str, code: str, field: str | None, **extra: Any
) -> None:
    await SyncIssue.insert(
        SyncIssue(
            device_uid=batch.device_id,
            seq=op.seq,
            op_id=op.op_id or "",
            op_type=op_type(op),
            status=status,
            code=code,
            field=field or "",
            op=msgspec.json.encode(op).decode(),
            actor_id=op.actor_id,
            **extra,
        )
    )


def _rejected(op: ops.Op, error: OpRejected) -> OpResult:
    return OpResult(
        op_id=op.op_id,
        seq=op.seq or 0,
        status="rejected",
        code=error.code,
        field=error.field,
        message=error.message % error.params if error.params else error.message,
    )


async def _apply_one(
    transaction: Any, batch: PushIn, op: ops.Op, actor: Actor, field: FieldSettings
) -> OpResult:
    """One op inside a savepoint: a rejected op is rolled back alone and kept."""
    seq = op.seq or 0
    savepoint = await transaction.savepoint()
    try:
        applied = await apply_op(op, actor, field, record_conflicts=True)
    except INTEGRITY_ERRORS:
        # A unique id already used by another op (a client bug): refuse this op alone,
        # so the device's later ops still arrive.
        await savepoint.rollback_to()
        await _keep(batch, op, "rejected", "op_id_reused", "op_id")
        return OpResult(op_id=op.op_id, seq=seq, status="rejected", code="op_id_reused")
    except OpRejected as error:
        await savepoint.rollback_to()
        await _keep(batch, op, "rejected", error.code, error.field)
        return _rejected(op, error)
    await savepoint.release()
    for conflict in applied.conflicts:
        await _keep(
            batch,
            op,
            "conflict",
            "conflict",
            conflict.field,
            entity=applied.target,
            base_version=op.base_version,
            server_value=msgspec.json.encode(conflict.server_value).decode(),
            incoming_value=msgspec.json.encode(conflict.incoming_value).decode(),
        )
    return OpResult(
        op_id=op.op_id,
        seq=seq,
        status="conflict" if applied.conflicts else "applied",
        field=applied.conflicts[0].field if applied.conflicts else None,
    )


async def _apply_counts(
    batch: PushIn,
    counts: list[ops.HeadcountAdd],
    actor: Actor,
    field: FieldSettings,
    audit_later: list[audit.Entry],
) -> list[OpResult]:
    """A run of counts together: their rule checks each one, so no savepoints are needed."""
    results = []
    outcomes = await apply_counts(counts, actor, field, audit_later=audit_later)
    for op, outcome in zip(counts, outcomes, strict=True):
        if isinstance(outcome, OpRejected):
            await _keep(batch, op, "rejected", outcome.code, outcome.field)
            results.append(_rejected(op, outcome))
        else:
            results.append(OpResult(op_id=op.op_id, seq=op.seq or 0, status="applied"))
    return results


async def push(batch: PushIn, actor: Actor, field: FieldSettings) -> PushOut:
    """Apply a device's batch exactly once.

    Consecutive counts (``headcount.add``) are applied as one run; any other op on its own.

    Args:
        batch: The device's ops in ``seq`` order.
        actor: The signed-in person; ops must be theirs (or name nobody).
        field: Field-work settings.

    Returns:
        The new high-water mark and one result per op handled.

    Raises:
        SyncError: Unknown or revoked device, unsupported schema, malformed batch.
    """
    _check_batch(batch)
    answered = await push_at_once(batch, actor, field)
    if answered is not None:
        return answered
    if db.is_postgres():
        # A round trip saved on every push: a device sends its outbox from the mark of its
        # last answer, so the batch almost always starts right after the mark. A wrong
        # guess (a batch sent again) costs a second UPDATE inside the transaction.
        known = (batch.ops[0].seq or 1) - 1 if batch.ops else None
    else:
        # Free on SQLite (no round trip), and a batch sent again needs no write lock.
        known = await devices.device_mark(batch.device_id)
        if known is not None and all((op.seq or 0) <= known for op in batch.ops):
            # Already applied (an answer that was lost): no write lock.
            return devices.nothing_new(devices.split_batch(known, batch))
    for attempt in range(1, DEADLOCK_TRIES + 1):
        try:
            return await _push_once(batch, actor, field, known)
        except RETRYABLE:
            # PostgreSQL chose this transaction to end a deadlock (two batches locking the
            # same rows in different orders) and rolled it back whole: apply it again.
            if attempt == DEADLOCK_TRIES:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class _NothingNew(Exception):
    """A batch with no op after the device's mark: its transaction is rolled back."""

    def __init__(self, split: devices.Split) -> None:
        super().__init__("nothing new")
        self.split = split


async def _push_once(
    batch: PushIn,
    actor: Actor,
    field: FieldSettings,
    known: int | None,
) -> PushOut:
    try:
        return await _apply_batch(batch, actor, field, known)
    except _NothingNew as nothing:
        # Only the device's last sighting was written, so nothing is committed (no flush
        # to disk for a batch sent twice).
        return devices.nothing_new(nothing.split)


async def _apply_batch(
    batch: PushIn,
    actor: Actor,
    field: FieldSettings,
    known: int | None,
) -> PushOut:
    counts: list[ops.HeadcountAdd] = []
    audit_later: list[audit.Entry] = []
    async with db.writing() as transaction:
        # Taking the device row's lock first serializes pushes from one device.
        split = await devices.take_device(batch, known)
        if not split.fresh:
            raise _NothingNew(split)
        results = devices.duplicates(split)
        for op in split.fresh:
            if op.actor_id not in (None, actor.staff_id):
                await _keep(batch, op, "rejected", "actor_unverified", None)
                results.append(
                    OpResult(
                        op_id=op.op_id, seq=op.seq or 0, status="rejected", code="actor_unverified"
                    )
                )
                continue
            if op.device_id != batch.device_id:
                op = msgspec.structs.replace(op, device_id=batch.device_id)
            if isinstance(op, ops.HeadcountAdd):
                counts.append(op)
                continue
            if counts:
                results.extend(await _apply_counts(batch, counts, actor, field, audit_later))
                counts = []
            # The counts' entries first, so the log keeps the batch's order.
            await audit.record_many(audit_later)
            audit_later.clear()
            results.append(await _apply_one(transaction, batch, op, actor, field))
        if counts:
            results.extend(await _apply_counts(batch, counts, actor, field, audit_later))
        # Last: the audit chain's head is locked until this transaction commits.
        await audit.record_many(audit_later)
    # In seq order already, but for an op refused before the counts pending ahead of it.
    results.sort(key=SEQ)
    return PushOut(high_water=split.mark, results=results, gap=split.gap)
