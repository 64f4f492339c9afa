"""The one write path: every change is an op applied here, from a form or a synced batch.

``apply_op`` checks the actor's permission, refuses free text that holds a My Number or is
too long, then runs the domain's rule (from the registry) in one write transaction and
records the op in the audit log in that same transaction.
"""

from __future__ import annotations

import datetime as dt

from server import db
from server.audit import service as audit
from server.auth.policy import allows
from server.common.clock import JST
from server.common.errors import OpRejected
from server.common.mynumber import MESSAGE_EN, MyNumberRefused, guard_text
from server.common.text import check_controls, free_text_fields, is_uuid
from server.messages import N_
from server.ops.context import Actor, Applied, ApplyContext
from server.ops.envelope import EARLIEST, LATEST, OpBase, Payload
from server.ops.registry import kind_of
from server.settings import FieldSettings

MAX_TEXT = 4000
MY_NUMBER_MESSAGE = N_(
    "This looks like a My Number (12 digits with a valid check digit), so it was not saved. "
    "Never enter a My Number."
)
assert MY_NUMBER_MESSAGE == MESSAGE_EN  # noqa: S101 - one wording on both sides
FORBIDDEN = N_("Your role does not allow this.")
INVALID = N_("A value in this change cannot be accepted (%(where)s).")
OUT_OF_RANGE = N_("This time is outside the years 2000 to 2099.")

DAY_ZERO = dt.date(1970, 1, 1)
JST_SECONDS = int(JST.utcoffset(None).total_seconds())


def client_day(client_time: dt.datetime | None) -> str | None:
    """The JST day an op was made on, by the device's clock (for reconciliation)."""
    return day_text(day_number(client_time))


def day_number(client_time: dt.datetime | None) -> int | None:
    """:func:`client_day` as a number of days: a batch's hundreds of counts fall on a day
    or two, whose text is then made once each."""
    if client_time is None:
        return None
    return int((client_time.timestamp() + JST_SECONDS) // 86400)


def day_text(number: int | None) -> str | None:
    """The ISO date of a :func:`day_number`."""
    return None if number is None else (DAY_ZERO + dt.timedelta(days=number)).isoformat()


def check_text(payload: Payload) -> None:
    """Refuse free text that is too long, holds control characters (an op built by a form
    was never decoded against its type) or contains a My Number (nothing is stored).

    Raises:
        OpRejected: Naming the field.
    """
    for name in free_text_fields(type(payload)):
        value = getattr(payload, name, None)
        if isinstance(value, str):
            check_free_text(name, value)


def check_free_text(name: str, value: str, limit: int = MAX_TEXT) -> None:
    """Refuse one field's text: longer than ``limit``, with control characters or with a
    My Number in it.

    Raises:
        OpRejected: Naming the field ``name``.
    """
    if len(value) > limit:
        raise OpRejected(
            "too_long",
            N_("This text is too long (at most %(max)s characters)."),
            field=name,
            max=limit,
        )
    check_controls(name, value)
    try:
        guard_text(name, value)
    except MyNumberRefused as error:
        raise OpRejected("my_number", MY_NUMBER_MESSAGE, field=name) from error


def check_op(op: OpBase) -> None:
    """Refuse what decoding left to be checked when an op is applied: the op id's shape,
    the kind's own shapes, and times out of range (the year 9999 is on no day).

    Raises:
        OpRejected: Naming the field.
    """
    if op.op_id is not None and not is_uuid(op.op_id):
        raise OpRejected("invalid", INVALID, field="op_id", where="op_id")
    check = kind_of(op).check
    if check is not None:
        check(op)
    if op.client_time is not None and not EARLIEST <= op.client_time < LATEST:
        raise OpRejected("time_out_of_range", OUT_OF_RANGE, field="client_time")
    payload = op.payload
    for name in payload.moments:
        value = getattr(payload, name)
        if isinstance(value, dt.datetime) and not EARLIEST <= value < LATEST:
            raise OpRejected("time_out_of_range", OUT_OF_RANGE, field=name)


async def apply_op(
    op: OpBase,
    actor: Actor,
    field: FieldSettings,
    *,
    now: dt.datetime | None = None,
    record_conflicts: bool = False,
) -> Applied:
    """Apply one op for ``actor``: all of it, or nothing.

    Args:
        op: The op.
        actor: Who it acts for (the signed-in person, or the person a synced op names).
        field: Field-work settings.
        now: The server's clock (tests may pin it).
        record_conflicts: Keep stale edits of fields changed meanwhile as conflicts
            (synced ops) instead of refusing the op.

    Returns:
        What was changed.

    Raises:
        OpRejected: A rule refused the op; nothing changed.
    """
    check_op(op)
    kind = kind_of(op)
    if kind.whole is not None:
        return await kind.whole(op, actor, field, now)
    if kind.handler is None or not allows(kind.permission, actor.role):
        raise OpRejected("forbidden", FORBIDDEN)
    check_text(op.payload)
    context = ApplyContext(
        actor=actor,
        field=field,
        now=now or dt.datetime.now(dt.UTC),
        record_conflicts=record_conflicts,
        device_id=op.device_id,
    )
    async with db.writing():
        applied = await kind.handler(op, context)
        await audit.record(
            kind.tag,
            actor_id=actor.staff_id,
            device_id=op.device_id,
            target=applied.target,
            detail=_op_detail(op, actor),
            at=context.now,
        )
    return applied


def _op_detail(op: OpBase, actor: Actor) -> dict[str, object] | None:
    detail: dict[str, object] = {}
    if op.op_id:
        detail.update(op_id=op.op_id, day=client_day(op.client_time))
    if actor.uploaded_by is not None:
        detail["uploaded_by"] = actor.uploaded_by
    return detail or None


__all__ = ["apply_op", "check_op", "check_text", "client_day"]
