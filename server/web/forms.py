"""Online forms build the same ops a synced batch carries and apply them here."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, TypeAlias

import msgspec
from litestar import Request
from litestar.params import PathParameter

from server.auth.schemas import Identity
from server.common.errors import OpRejected
from server.common.text import INT32_MAX, check_controls, free_text_fields
from server.messages import N_
from server.settings import Settings
from server.sync import ops, service
from server.sync.context import Actor, Applied
from server.web.pages import translate

INVALID_MESSAGE = N_("This value cannot be accepted (wrong kind, or out of range).")
_AT = re.compile(r"at `\$(?:\.payload)?\.([A-Za-z_]+)")  # the field a ValidationError names
PathId: TypeAlias = Annotated[int, PathParameter(ge=1, le=INT32_MAX)]
"""A row id in a URL, bounded like :data:`server.common.text.Id`: one out of range is a 400."""


def actor_of(request: Request[Any, Identity, Any]) -> Actor:
    """The signed-in person as an op's actor."""
    return Actor(staff_id=request.user.staff_id, role=request.user.role)


async def submit(
    request: Request[Any, Identity, Any], op: ops.Op
) -> tuple[Applied | None, dict[str, str]]:
    """Apply ``op`` for the signed-in person.

    Returns:
        ``(applied, {})`` on success, or ``(None, errors)`` where ``errors`` maps the field
        at fault (``"_"`` when none) to a message in the request's language.
    """
    settings: Settings = request.app.state.settings
    try:
        check_op(op)
        return await service.apply_op(op, actor_of(request), settings.field), {}
    except OpRejected as error:
        return None, {error.field or "_": explain(request, error)}


def on_form(errors: dict[str, str], shown: Iterable[str]) -> dict[str, str]:
    """``errors`` placed on a form: a field the form does not show goes to the general
    error (``"_"``), so no refusal is ever silent."""
    fields = set(shown)
    placed: dict[str, str] = {}
    for field, message in errors.items():
        key = field if field in fields else "_"
        placed[key] = f"{placed[key]} {message}" if key in placed else message
    return placed


def explain(request: Request[Any, Any, Any], error: OpRejected) -> str:
    """A refusal's message in the request's language, with its values filled in."""
    text = translate(request, error.message)
    return text % error.params if error.params else text


def check_op(op: ops.Op) -> None:
    """Hold an op a form built to the types a synced op is read with.

    Forms build ops in Python, where msgspec checks nothing; this refuses what a push of
    the same op would refuse (control characters, ids out of range, a time without offset).

    Raises:
        OpRejected: Naming the field at fault (``control_chars`` or ``invalid``).
    """
    payload = op.payload
    # Control characters first: their refusal says what is wrong, not just "invalid".
    for name in free_text_fields(type(payload)):
        value = getattr(payload, name, None)
        check_controls(name, value if isinstance(value, str) else None)
    try:
        msgspec.convert(msgspec.to_builtins(op), type(op))
    except msgspec.ValidationError as error:
        where = _AT.search(str(error))
        raise OpRejected(
            "invalid", INVALID_MESSAGE, field=where.group(1) if where else None
        ) from error
