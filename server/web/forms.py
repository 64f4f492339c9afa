"""Online forms: their text read into typed values, then the same ops a synced batch
carries, applied here."""

from __future__ import annotations

import datetime as dt
import functools
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Literal, TypeAlias, TypeVar

import msgspec
from litestar import Request
from litestar.params import PathParameter

from server.common.errors import OpRejected
from server.common.parsing import parse_clock, parse_date, parse_id
from server.common.text import INT32_MAX, check_controls, free_text_fields
from server.messages import N_
from server.ops.apply import apply_op
from server.ops.context import Actor, Applied
from server.ops.envelope import OpBase, Payload
from server.settings import Settings
from server.web.pages import SignedInRequest, translate

INVALID_MESSAGE = N_("This value cannot be accepted (wrong kind, or out of range).")
_AT = re.compile(r"at `\$(?:\.payload)?\.([A-Za-z_]+)")  # the field a ValidationError names
PathId: TypeAlias = Annotated[int, PathParameter(ge=1, le=INT32_MAX)]
"""A row id in a URL, bounded like :data:`server.common.text.Id`: one out of range is a 400."""
T = TypeVar("T", bound=msgspec.Struct)
P = TypeVar("P", bound=Payload)
# How a form's text becomes each type a typed form struct may hold.
PARSERS: dict[Any, Callable[[str], Any]] = {
    int: parse_id,
    dt.date: parse_date,
    dt.time: parse_clock,
    str: lambda text: text,
}


def actor_of(request: SignedInRequest) -> Actor:
    """The signed-in person as an op's actor."""
    return Actor(staff_id=request.user.staff_id, role=request.user.role)


async def submit(request: SignedInRequest, op: OpBase) -> tuple[Applied | None, dict[str, str]]:
    """Apply ``op`` for the signed-in person.

    Returns:
        ``(applied, {})`` on success, or ``(None, errors)`` where ``errors`` maps the field
        at fault (``"_"`` when none) to a message in the request's language.
    """
    settings: Settings = request.app.state.settings
    try:
        check_op(op)
        return await apply_op(op, actor_of(request), settings.field), {}
    except OpRejected as error:
        return None, {error.field or "_": explain(request, error)}


async def submit_form(
    request: SignedInRequest,
    form: msgspec.Struct,
    payload: type[P],
    messages: Mapping[str, str],
    op: type[OpBase],
    **known: Any,
) -> tuple[Applied | None, dict[str, str]]:
    """Read ``form`` as the ``payload`` of an ``op`` (:func:`read_form`) and apply it
    (:func:`submit`); the errors are the form's own or the op's refusal."""
    value, errors = read_form(request, form, payload, messages, **known)
    if value is None:
        return None, errors
    return await submit(request, op(payload=value))


def read_form(
    request: Request[Any, Any, Any],
    form: msgspec.Struct | Mapping[str, str | None],
    kind: type[T],
    messages: Mapping[str, str],
    **known: Any,
) -> tuple[T | None, dict[str, str]]:
    """``form`` (text as the browser sent it) as ``kind``, each field parsed by its type.

    ``kind`` is often the op's payload itself. Its fields not in ``known`` (values the
    route has already, such as an id from the path) read the form's field of the same name
    (or a query's value): an ``int`` is a row id, a ``date`` and a ``time`` are typed as
    ``YYYY-MM-DD`` and ``HH:MM`` (:mod:`server.common.parsing`), a ``Literal`` is one of its
    values, a ``str`` is kept as sent. ``X | None`` is None when the field was not sent, or
    (but for text) left blank.

    Returns:
        ``(value, {})``, or ``(None, errors)`` mapping each field that did not parse to its
        message from ``messages`` in the request's language.
    """
    sent = form if isinstance(form, Mapping) else msgspec.structs.asdict(form)
    values: dict[str, Any] = dict(known)
    errors: dict[str, str] = {}
    for name, hint in _hints(kind).items():
        if name in known:
            continue
        try:
            values[name] = _parse(hint, sent.get(name))
        except ValueError:
            errors[name] = translate(request, messages[name])
    return (None, errors) if errors else (kind(**values), {})


@functools.cache
def _hints(kind: type[msgspec.Struct]) -> dict[str, Any]:
    hints = typing.get_type_hints(kind)
    return {name: hints[name] for name in kind.__struct_fields__}


def _parse(hint: Any, text: str | None) -> Any:
    """``text`` as ``hint`` (see :func:`read_form`).

    Raises:
        ValueError: It does not parse, or a field that may not be left out was.
    """
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = (arg for arg in args if arg is not type(None))
        if text is None or (inner is not str and not text.strip()):
            return None
        return _parse(inner, text)
    if text is None:
        raise ValueError("missing")
    if origin is Literal:
        if text not in args:
            raise ValueError(text)
        return text
    return PARSERS[hint](text)


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


def check_op(op: OpBase) -> None:
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
