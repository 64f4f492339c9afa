"""Devices: registration, revocation, and each device's high-water mark.

A device's mark is the ``seq`` of the last of its ops the server has handled (applied or
refused). A push takes the device's row, splits its batch against the mark (ops at or
below it were handled before; the next ones must follow it without a gap) and moves the
mark in the same transaction as the ops it covers (:mod:`server.sync.push`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, NamedTuple

import msgspec

from server import db, db_bulk
from server.common.errors import OpRejected
from server.common.mynumber import MESSAGE_EN, contains_my_number
from server.common.text import check_controls, is_uuid
from server.messages import N_
from server.sync import ops
from server.sync.schemas import Batch, DeviceOut, Gap, OpResult, PushOut, SyncError
from server.sync.tables import Device

DEVICE_ID_LENGTH = 36  # a UUID as text: what a device id is at most


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _device_out(row: dict[str, Any]) -> DeviceOut:
    return msgspec.convert(
        {**row, "device_id": row["uid"], "registered_by": row["registered_by"]},
        DeviceOut,
        strict=False,
    )


async def register_device(*, label: str, staff_id: int) -> DeviceOut:
    """Register a browser or tablet and issue its id.

    Raises:
        OpRejected: The label holds a control character or what looks like a My Number.
    """
    check_controls("label", label)
    if contains_my_number(label):
        raise OpRejected("my_number", MESSAGE_EN, field="label")
    label = " ".join(label.split())[:100]
    async with db.writing():
        rows = await Device.insert(
            Device(uid=str(uuid.uuid4()), label=label, registered_by=staff_id)
        ).returning(*Device.all_columns())
    return _device_out(rows[0])


async def list_devices() -> list[DeviceOut]:
    """Every device, newest first."""
    rows = await Device.select().order_by(Device.created_at, ascending=False)
    return [_device_out(r) for r in rows]


async def revoke_device(device_id: str) -> bool:
    """Revoke a device: its pushes are refused from now on. False if unknown."""
    if not is_uuid(device_id):
        return False
    async with db.writing():
        rows = (
            await Device.update({Device.revoked_at: _now()})
            .where((Device.uid == device_id) & Device.revoked_at.is_null())
            .returning(Device._meta.primary_key)
        )
    return bool(rows)


async def device_mark(device_id: str | None, *, live_only: bool = True) -> int | None:
    """A device's high-water mark; None for an id the server never issued, or (unless
    ``live_only`` is false) for a revoked device."""
    if not is_uuid(device_id):
        return None
    sql, args = mark_query(device_id, live_only=live_only)
    rows = await db.fetch(sql, *args)
    return int(rows[0]["high_water"]) if rows else None


def mark_query(device_id: str, *, live_only: bool = True) -> db.Query:
    """The statement of :func:`device_mark`, to read with others."""
    revoked = " AND revoked_at IS NULL" if live_only else ""
    return (
        f"SELECT high_water FROM device WHERE uid = {{}}{revoked}",  # noqa: S608 - constants
        (device_id[:DEVICE_ID_LENGTH],),
    )


def advance_guard(device_id: str, mark: int, to: int, now: dt.datetime) -> db_bulk.Guard:
    """PostgreSQL: a writer's statement moves the device's mark from ``mark`` to ``to``
    and writes only if the mark was still ``mark`` (no other push of the device came
    first) and the device is live. The row is locked first, as a push's transaction
    locks it."""
    return db_bulk.Guard(
        "advanced AS (UPDATE device SET last_seen_at = {}, high_water = {} "
        "WHERE uid = {} AND high_water = {} AND revoked_at IS NULL RETURNING 1)",
        [now, to, device_id, mark],
        "EXISTS (SELECT 1 FROM advanced)",
    )


class Split(NamedTuple):
    """A batch against a device's mark: the ops applied before, the ops that come next in
    order, where a gap stopped it, and the mark after it."""

    duplicates: list[ops.Op | ops.Unreadable]
    fresh: list[ops.Op | ops.Unreadable]
    gap: Gap | None
    mark: int


def split_batch(mark: int, batch: Batch) -> Split:
    """An op at ``mark + 1`` moves the mark on (applied or rejected alike), one at or below
    it is a duplicate, a gap stops the batch."""
    duplicates: list[ops.Op | ops.Unreadable] = []
    fresh: list[ops.Op | ops.Unreadable] = []
    for op in batch.ops:
        seq = op.seq or 0
        if seq <= mark:
            duplicates.append(op)
        elif seq != mark + 1:
            return Split(duplicates, fresh, Gap(expected=mark + 1, got=seq), mark)
        else:
            mark = seq
            fresh.append(op)
    return Split(duplicates, fresh, None, mark)


def duplicates(split: Split) -> list[OpResult]:
    """The results of the ops a split found at or below the mark."""
    return [
        OpResult(op_id=op.op_id, seq=op.seq or 0, status="duplicate") for op in split.duplicates
    ]


def nothing_new(split: Split) -> PushOut:
    """The answer to a batch with no op after the mark: sent again (an answer that was
    lost), or stopped by a gap at once. The mark only grows."""
    return PushOut(high_water=split.mark, results=duplicates(split), gap=split.gap)


# PostgreSQL: the device's row locked, its mark before, and the mark moved to where the
# batch takes it if it was the one guessed: one statement, right guess or wrong.
TAKE_PG = (
    "UPDATE device AS d SET last_seen_at = {}, "
    "high_water = CASE WHEN o.high_water = {} THEN {} ELSE o.high_water END "
    "FROM (SELECT id, high_water FROM device WHERE uid = {} AND revoked_at IS NULL "
    "FOR UPDATE) AS o WHERE d.id = o.id RETURNING o.high_water AS before"
)


def _unknown_device() -> SyncError:
    return SyncError("device_unknown", N_("This device is not registered or was revoked."), 403)


async def take_device(batch: Batch, known: int | None) -> Split:
    """Lock the device's row and move its mark to where the batch takes it.

    The new mark depends only on the old one and the batch's ``seq`` numbers, so the
    common case (the mark is still ``known``, as read or guessed) is one statement.

    Returns:
        The batch split against the mark it started from.

    Raises:
        SyncError: Unknown or revoked device.
    """
    now = _now()
    if known is not None:
        split = split_batch(known, batch)
        if db.is_postgres():
            rows = await db.fetch(TAKE_PG, now, known, split.mark, batch.device_id)
            if not rows:
                raise _unknown_device()
            before = int(rows[0]["before"])
            return split if before == known else await _move(batch, before)
        rows = await db.fetch(
            "UPDATE device SET last_seen_at = {}, high_water = {} "
            "WHERE uid = {} AND high_water = {} AND revoked_at IS NULL RETURNING high_water",
            now,
            split.mark,
            batch.device_id,
            known,
        )
        if rows:
            return split
    # The mark moved meanwhile (another push from this device) or the device is gone.
    rows = await db.fetch(
        "UPDATE device SET last_seen_at = {} WHERE uid = {} AND revoked_at IS NULL "
        "RETURNING high_water",
        now,
        batch.device_id,
    )
    if not rows:
        raise _unknown_device()
    return await _move(batch, int(rows[0]["high_water"]))


async def _move(batch: Batch, mark: int) -> Split:
    """The batch split against the device's locked ``mark``, which moves with it."""
    split = split_batch(mark, batch)
    if split.mark != mark:
        await db.fetch(
            "UPDATE device SET high_water = {} WHERE uid = {}", split.mark, batch.device_id
        )
    return split
