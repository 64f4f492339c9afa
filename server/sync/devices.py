"""Devices: registration, names, revocation, and each device's high-water mark.

A device's mark is the ``seq`` of the last of its ops the server has handled (applied or
refused). A push takes the device's row, splits its batch against the mark (ops at or
below it were handled before; the next ones must follow it without a gap) and moves the
mark in the same transaction as the ops it covers (:mod:`server.sync.push`).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import msgspec

from server import db
from server.auth.policy import Permission
from server.common.errors import OpRejected
from server.common.text import check_controls, is_uuid
from server.messages import N_
from server.ops.apply import apply_op
from server.ops.context import Actor, Applied, ApplyContext
from server.ops.registry import Kind
from server.settings import FieldSettings
from server.sites import service as sites
from server.staff import service as staff
from server.sync import ops, store
from server.sync.device_ops import (
    DeviceRegister,
    DeviceRename,
    DeviceRevoke,
    RegisterDevice,
    RevokeDevice,
)
from server.sync.schemas import Batch, DeviceListed, DeviceOut, Gap, OpResult, PushOut, SyncError
from server.sync.tables import Device

DEVICE_ID_LENGTH = store.DEVICE_ID_LENGTH
MAX_NAME = 100


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _device_out(row: dict[str, Any]) -> DeviceOut:
    return msgspec.convert(
        {
            **row,
            "device_id": row["uid"],
            "site_id": row["site"],
            "last_user_id": row["last_user"],
        },
        DeviceOut,
        strict=False,
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


async def register_device(
    *, label: str, actor: Actor, field: FieldSettings, site_id: int | None = None
) -> DeviceOut:
    """Register a browser or tablet and issue its id (a ``device.register`` op). Without a
    ``label`` it is named after ``site_id`` (the field page that registered it) and the
    next free number there.

    Raises:
        OpRejected: The label holds a control character or what looks like a My Number.
    """
    check_controls("label", label)
    uid = str(uuid.uuid4())
    payload = RegisterDevice(uid=uid, label=_one_line(label)[:MAX_NAME], site_id=site_id)
    await apply_op(DeviceRegister(device_id=uid, payload=payload), actor, field)
    rows = await Device.select(*Device.all_columns()).where(Device.uid == uid)
    return _device_out(rows[0])


async def _next_number(site_id: int | None) -> int:
    """The smallest number no live device registered at the site (or at none) has: a
    replacement for a revoked tablet takes its number."""
    at_site = Device.site.is_null() if site_id is None else Device.site == site_id
    rows = await Device.select(Device.number).where(at_site & Device.revoked_at.is_null())
    taken = {row["number"] for row in rows}
    return next(n for n in itertools.count(1) if n not in taken)


async def _apply_register(op: DeviceRegister, context: ApplyContext) -> Applied:
    payload = op.payload
    site = await sites.get_site(payload.site_id) if payload.site_id is not None else None
    if site is not None:
        await sites.lock(site.id)  # two tablets registering at once get two numbers
    number = await _next_number(site.id if site else None)
    default = f"{site.name_ja} {number}号機" if site else f"端末 {number}"
    await Device.insert(
        Device(
            uid=payload.uid,
            label=payload.label or default,
            registered_by=context.actor.staff_id,
            site=site.id if site else None,
            number=number,
        )
    )
    return Applied(target=f"device:{payload.uid}", entity_id=payload.uid)


async def list_devices() -> list[DeviceOut]:
    """Every device, newest first."""
    rows = await Device.select().order_by(Device.created_at, ascending=False)
    return [_device_out(r) for r in rows]


async def devices_seen() -> list[DeviceListed]:
    """Every device, newest first, with the name of the person who pushed from it last."""
    listed = await list_devices()
    names = {person.id: person.display_name for person in await staff.list_staff()}
    return [
        DeviceListed(
            device=device,
            last_user=names.get(device.last_user_id or 0, ""),
        )
        for device in listed
    ]


async def _apply_rename(op: DeviceRename, context: ApplyContext) -> Applied:
    uid = op.payload.uid
    label = _one_line(op.payload.label)
    if not 1 <= len(label) <= MAX_NAME:
        raise OpRejected("device_name_invalid", BAD_NAME, field="label")
    rows = (
        await Device.update({Device.label: label})
        .where(Device.uid == uid)
        .returning(Device._meta.primary_key)
    )
    if not rows:
        raise OpRejected("device_unknown", UNKNOWN_DEVICE, field="device_id")
    return Applied(target=f"device:{uid}", entity_id=uid)


async def revoke_device(device_id: str, *, actor: Actor, field: FieldSettings) -> bool:
    """Revoke a device (a ``device.revoke`` op): its pushes are refused from now on.
    False if unknown or already revoked."""
    if not is_uuid(device_id):
        return False
    try:
        await apply_op(DeviceRevoke(payload=RevokeDevice(uid=device_id)), actor, field)
    except OpRejected as error:
        if error.code != "device_unknown":
            raise
        return False
    return True


async def _apply_revoke(op: DeviceRevoke, context: ApplyContext) -> Applied:
    uid = op.payload.uid
    rows = (
        await Device.update({Device.revoked_at: context.now})
        .where((Device.uid == uid) & Device.revoked_at.is_null())
        .returning(Device._meta.primary_key)
    )
    if not rows:
        raise OpRejected("device_unknown", UNKNOWN_DEVICE, field="device_id")
    return Applied(target=f"device:{uid}", entity_id=uid)


UNKNOWN_DEVICE = N_("This device is not registered or was revoked.")
BAD_NAME = N_("Enter a device name of 1 to 100 characters.")
KINDS = (
    Kind(DeviceRegister, Permission.FIELD_WRITE, _apply_register, synced=False),
    Kind(DeviceRename, Permission.MANAGE_STAFF, _apply_rename, synced=False),
    Kind(DeviceRevoke, Permission.MANAGE_STAFF, _apply_revoke, synced=False),
)
"""The device ops and their rules (installed by :mod:`server.domains`)."""


async def device_mark(device_id: str | None, *, live_only: bool = True) -> int | None:
    """A device's high-water mark; None for an id the server never issued, or (unless
    ``live_only`` is false) for a revoked device."""
    if not is_uuid(device_id):
        return None
    rows = await db.fetch(store.mark_query(device_id, live_only=live_only))
    return int(rows[0]["high_water"]) if rows else None


async def require_live(device_id: str) -> None:
    """Refuse a device the server never issued, or revoked.

    Raises:
        OpRejected: ``device_unknown``.
    """
    if await device_mark(device_id) is None:
        raise OpRejected("device_unknown", UNKNOWN_DEVICE, field="device_id")


def mark_reader() -> Callable[[str | None], Awaitable[int | None]]:
    """What the field page reads a device's mark with (revoked devices too): provided to
    the domains' routes, which do not import the sync layer."""
    return functools.partial(device_mark, live_only=False)


mark_query = store.mark_query
advance_guard = store.advance_guard


async def mark_or_guess(device_id: str, guess: int | None) -> int | None:
    """The mark a push starts from: the live device's, or ``guess`` where reading it
    would cost a round trip (:func:`take_device` checks it)."""
    return await store.mark_or_guess(device_id, guess) if is_uuid(device_id) else None


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


def _unknown_device() -> SyncError:
    return SyncError("device_unknown", UNKNOWN_DEVICE, 403)


async def take_device(batch: Batch, known: int | None, by: int | None) -> Split:
    """Lock the device's row, note it seen (used by ``by``, when not None) and move its
    mark to where the batch takes it.

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
        before = await store.take_from(batch.device_id, now, by, known, split.mark)
        if before is None:
            raise _unknown_device()
        # Else the mark moved meanwhile (another push from this device).
        return split if before == known else await _move(batch, before)
    mark = await store.take(batch.device_id, now, by)
    if mark is None:
        raise _unknown_device()
    return await _move(batch, mark)


async def _move(batch: Batch, mark: int) -> Split:
    """The batch split against the device's locked ``mark``, which moves with it."""
    split = split_batch(mark, batch)
    if split.mark != mark:
        await store.set_mark(batch.device_id, split.mark)
    return split
