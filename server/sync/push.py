"""Push: a batch of a device's ops, applied exactly once, in one transaction.

The device's high-water ``seq`` moves in the same transaction as the ops it covers, so a
batch sent twice (a lost answer, a killed server) changes nothing the second time. An op
with ``seq`` at or below the mark is a duplicate; a ``seq`` that skips ahead stops the
batch (the client resends from the mark). Every op ends applied, duplicate, conflict or
refused with its reason and kept for review; a refused op still moves the mark, so one
bad op never blocks the ones behind it. Ops run in savepoints, but for runs of counts,
which are checked one by one; should anything else fail in such a run, the batch is
applied again op by op, each in its own savepoint.

An exported file uploaded by a supervisor applies each op as the person who made it, and
names the uploader in the audit log. On PostgreSQL a batch of new counts, the common push,
is one statement instead (:mod:`server.sync.at_once`).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import msgspec

from server import db
from server.audit import service as audit
from server.auth.policy import Permission, allows
from server.common.errors import OpRejected
from server.common.text import COUNTER_MAX
from server.db_errors import INFRASTRUCTURE, INTEGRITY_ERRORS, RETRYABLE
from server.headcounts.batches import apply_counts
from server.messages import N_
from server.ops.apply import apply_op, check_op
from server.ops.context import Actor
from server.settings import FieldSettings
from server.staff import service as staff
from server.sync import devices, ops
from server.sync import keep as kept
from server.sync.at_once import push_at_once
from server.sync.intake import refusal
from server.sync.keep import answer_kept, english, keep, masked_json, op_type
from server.sync.schemas import MAX_BATCH, SCHEMA_VERSIONS, Batch, OpResult, PushOut, SyncError

log = logging.getLogger(__name__)
DEADLOCK_TRIES = 3
SEQ = attrgetter("seq")
Explain = kept.Explain
UNPROCESSABLE = OpRejected(
    "unprocessable", N_("The server could not process this change; a supervisor can review it.")
)
CHANGED_MEANWHILE = N_("Changed meanwhile on another device.")
NOT_YOURS = N_("This change was made by someone else signed in on the device.")


def _check_batch(batch: Batch) -> None:
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
        if op.seq <= previous:
            raise SyncError("op_order", N_("Changes in a batch must be in sequence order."))
        previous = op.seq


@dataclass
class _Push:
    """One push being applied: who sends it, how, and the makers of ops met so far."""

    batch: Batch
    actor: Actor
    field: FieldSettings
    explain: Explain
    upload: bool
    careful: bool = False
    makers: dict[int, Actor | OpRejected] = dataclasses.field(default_factory=dict)

    def rejected(self, op: ops.Op | ops.Unreadable, error: OpRejected) -> OpResult:
        return OpResult(
            op_id=op.op_id,
            seq=op.seq or 0,
            status="rejected",
            code=error.code,
            field=error.field,
            message=self.explain(error),
        )

    async def refuse(self, op: ops.Op | ops.Unreadable, error: OpRejected) -> OpResult:
        """Keep ``op`` for review and answer its refusal."""
        uploader = self.actor.staff_id if self.upload else None
        await keep(
            self.batch.device_id,
            op,
            "rejected",
            error,
            maker=self.actor.staff_id,
            uploaded_by=uploader,
        )
        return self.rejected(op, error)

    async def maker(self, op: ops.Op) -> Actor | OpRejected:
        """Whom ``op`` acts for: the sender, or (in a supervisor's upload) its maker."""
        sender = self.actor
        if op.actor_id is None or op.actor_id == sender.staff_id:
            return (
                Actor(staff_id=sender.staff_id, role=sender.role, uploaded_by=sender.staff_id)
                if self.upload
                else sender
            )
        if not (self.upload and allows(Permission.REVIEW_SYNC, sender.role)):
            return OpRejected("actor_unverified", NOT_YOURS)
        if op.actor_id not in self.makers:
            person = await staff.get_staff(op.actor_id)
            self.makers[op.actor_id] = (
                OpRejected("actor_unknown", N_("The person who made this change is not known."))
                if person is None
                else Actor(staff_id=person.id, role=person.role, uploaded_by=sender.staff_id)
            )
        return self.makers[op.actor_id]


async def push(
    batch: Batch,
    actor: Actor,
    field: FieldSettings,
    *,
    explain: Explain = english,
    upload: bool = False,
) -> PushOut:
    """Apply a device's batch exactly once.

    Args:
        batch: The device's ops in ``seq`` order (:func:`server.sync.intake.read_batch`).
        actor: The signed-in person (the uploader, for a file).
        field: Field-work settings.
        explain: A refusal's message for the answer (in the sender's language).
        upload: An exported file: a supervisor's applies others' ops as theirs.

    Returns:
        The new high-water mark and one result per op handled.

    Raises:
        SyncError: Unknown or revoked device, unsupported schema, malformed batch.
    """
    _check_batch(batch)
    if not upload:
        answered = await push_at_once(batch, actor, field, explain)
        if answered is not None:
            return answered
    answer = await _push_generally(_Push(batch, actor, field, explain, upload))
    return await answer_kept(answer, batch.device_id, explain)


async def _push_generally(state: _Push) -> PushOut:
    batch = state.batch
    # A device sends its outbox from the mark of its last answer, so the batch almost
    # always starts right after the mark: the guess (checked when the device's row is
    # taken) saves reading it where that costs a round trip.
    first = (batch.ops[0].seq or 1) if batch.ops else None
    guess = first - 1 if first is not None and first <= COUNTER_MAX else None
    known = await devices.mark_or_guess(batch.device_id, guess)
    if known is not None and all((op.seq or 0) <= known for op in batch.ops):
        # Already applied (an answer that was lost): no write lock.
        return devices.nothing_new(devices.split_batch(known, batch))
    attempt = 0
    while True:
        attempt += 1
        try:
            return await _push_once(state, known)
        except RETRYABLE:
            # PostgreSQL chose this transaction to end a deadlock (two batches locking the
            # same rows in different orders) and rolled it back whole: apply it again.
            if attempt == DEADLOCK_TRIES:
                raise
        except INFRASTRUCTURE:
            raise
        except Exception as error:
            if state.careful:
                raise
            # A run of counts failed as a whole (rolled back): each op alone this time.
            log.warning("push: applying a batch op by op after %s", type(error).__name__)
            state.careful = True


class _NothingNew(Exception):
    """A batch with no op after the device's mark: its transaction is rolled back."""

    def __init__(self, split: devices.Split) -> None:
        super().__init__("nothing new")
        self.split = split


async def _push_once(state: _Push, known: int | None) -> PushOut:
    try:
        return await _apply_batch(state, known)
    except _NothingNew as nothing:
        # Only the device's last sighting was written, so nothing is committed (no flush
        # to disk for a batch sent twice).
        return devices.nothing_new(nothing.split)


async def _apply_batch(state: _Push, known: int | None) -> PushOut:
    batch = state.batch
    counts: list[ops.HeadcountAdd] = []
    counted_for: Actor | None = None
    audit_later: list[audit.Entry] = []
    results: list[OpResult] = []

    async def flush() -> None:
        nonlocal counts
        if counts and counted_for is not None:
            results.extend(await _apply_counts(state, counts, counted_for, audit_later))
        counts = []

    async with db.writing() as transaction:
        # Taking the device row's lock first serializes pushes from one device. Its last
        # user is the sender; a supervisor uploading a tablet's file never used it.
        user = None if state.upload else state.actor.staff_id
        split = await devices.take_device(batch, known, user)
        if not split.fresh:
            raise _NothingNew(split)
        results.extend(devices.duplicates(split))
        for op in split.fresh:
            if isinstance(op, ops.Unreadable):
                results.append(await state.refuse(op, refusal(op)))
                continue
            who = await state.maker(op)
            if isinstance(who, OpRejected):
                results.append(await state.refuse(op, who))
                continue
            if op.device_id != batch.device_id:
                op = msgspec.structs.replace(op, device_id=batch.device_id)
            if isinstance(op, ops.HeadcountAdd) and not state.careful:
                try:
                    check_op(op)
                except OpRejected as error:
                    results.append(await state.refuse(op, error))
                    continue
                if who != counted_for:
                    await flush()
                    counted_for = who
                counts.append(op)
                continue
            await flush()
            # The counts' entries first, so the log keeps the batch's order.
            await audit.record_many(audit_later)
            audit_later.clear()
            results.append(await _apply_one(state, transaction, op, who))
        await flush()
        if state.upload:
            audit_later.append(
                audit.Entry(
                    action="sync.upload",
                    actor_id=state.actor.staff_id,
                    device_id=batch.device_id,
                    detail={
                        "ops": len(split.fresh),
                        "first": split.fresh[0].seq,
                        "last": split.mark,
                    },
                )
            )
        # Last: the audit chain's head is locked until this transaction commits.
        await audit.record_many(audit_later)
    # In seq order already, but for an op refused before the counts pending ahead of it.
    results.sort(key=SEQ)
    return PushOut(high_water=split.mark, results=results, gap=split.gap)


async def _apply_one(state: _Push, transaction: Any, op: ops.Op, who: Actor) -> OpResult:
    """One op inside a savepoint: a refused op is rolled back alone and kept."""
    savepoint = await transaction.savepoint()
    try:
        applied = await apply_op(op, who, state.field, record_conflicts=True)
    except INTEGRITY_ERRORS:
        # A unique id already used by another op (a client bug): refuse this op alone,
        # so the device's later ops still arrive.
        await savepoint.rollback_to()
        reused = OpRejected("op_id_reused", N_("This change's id was used before."), field="op_id")
        return await state.refuse(op, reused)
    except OpRejected as error:
        await savepoint.rollback_to()
        return await state.refuse(op, error)
    except INFRASTRUCTURE:
        raise
    except Exception as error:
        # A value the rules let through but the database or the code could not take:
        # kept for review, logged without the op's content.
        await savepoint.rollback_to()
        log.error("push: %s seq %s not processed: %s", op_type(op), op.seq, type(error).__name__)
        return await state.refuse(op, UNPROCESSABLE)
    await savepoint.release()
    for conflict in applied.conflicts:
        await keep(
            state.batch.device_id,
            op,
            "conflict",
            OpRejected("conflict", CHANGED_MEANWHILE, field=conflict.field),
            uploaded_by=state.actor.staff_id if state.upload else None,
            entity=applied.target,
            base_version=op.base_version,
            server_value=masked_json(conflict.server_value),
            incoming_value=masked_json(conflict.incoming_value),
        )
    return OpResult(
        op_id=op.op_id,
        seq=op.seq or 0,
        status="conflict" if applied.conflicts else "applied",
        field=applied.conflicts[0].field if applied.conflicts else None,
    )


async def _apply_counts(
    state: _Push, counts: list[ops.HeadcountAdd], who: Actor, audit_later: list[audit.Entry]
) -> list[OpResult]:
    """A run of counts together: their rule checks each one, so no savepoints are needed."""
    results = []
    outcomes = await apply_counts(counts, who, state.field, audit_later=audit_later)
    for op, outcome in zip(counts, outcomes, strict=True):
        if isinstance(outcome, OpRejected):
            results.append(await state.refuse(op, outcome))
        else:
            results.append(OpResult(op_id=op.op_id, seq=op.seq or 0, status="applied"))
    return results
