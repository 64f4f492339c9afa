"""What text the app accepts, and the shapes of identifiers it issues.

Control characters are refused in every text field on both engines alike: a NUL cannot be
stored by PostgreSQL and no control character means anything in typed text; tab, line
feed and carriage return are text. Lone surrogates cannot be encoded for either database.
Every ``str`` field of an input is either free text (``FreeText``: control characters
refused here, My Numbers refused by :func:`server.common.mynumber.guard_text`) or has a
strict shape (a ``pattern``); a test walks every input struct to hold that.
"""

from __future__ import annotations

import functools
import re
import typing
from typing import Annotated, Final, TypeGuard

import msgspec

from server.common.errors import OpRejected
from server.messages import N_

# Control characters other than tab, LF and CR; DEL; C1 controls; lone surrogates.
CONTROL_CHARS: Final = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
_CONTROL: Final = re.compile(f"[{CONTROL_CHARS}]")
NO_CONTROL: Final = f"^[^{CONTROL_CHARS}]*$"
CONTROL_MESSAGE: Final = N_("This text contains control characters, so it was not saved.")

UUID_PATTERN: Final = (
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
HEX_DIGEST_PATTERN: Final = "^([0-9a-f]{64})?$"
CODE_PATTERN: Final = "^(?:[a-z_-]{1,40}|c-[0-9a-f]{8})$"
INT32_MAX: Final = 2**31 - 1
# Sequence numbers and other counters a device keeps: JavaScript's exact integers.
COUNTER_MAX: Final = 2**53 - 1

FREE_TEXT: Final = msgspec.Meta(pattern=NO_CONTROL, extra={"free_text": True})
FreeText = Annotated[str, FREE_TEXT]
"""Typed by a person: no control characters; the My Number guard runs on it."""
Uuid = Annotated[str, msgspec.Meta(pattern=UUID_PATTERN)]
"""An id a device or the server generates (op ids, device ids, incident uids)."""
HexDigest = Annotated[str, msgspec.Meta(pattern=HEX_DIGEST_PATTERN)]
"""A SHA-256 hex digest, or empty."""
Code = Annotated[str, msgspec.Meta(pattern=CODE_PATTERN)]
"""A machine code such as a headcount category."""
Id = Annotated[int, msgspec.Meta(ge=1, le=INT32_MAX)]
"""A row id: what the databases' INTEGER columns hold."""
# On the push path's hottest fields a pattern at decoding cost a third of a replayed
# batch's time: their shape is checked when the op is applied (``server.ops.apply
# .check_op``), never for an op sent again. ``extra["shape"]`` names the pattern.
OpId = Annotated[str, msgspec.Meta(max_length=36, extra={"shape": UUID_PATTERN})]
"""An op's id: a UUID, checked when the op is applied."""
CountCode = Annotated[str, msgspec.Meta(max_length=40, extra={"shape": CODE_PATTERN})]
"""A count's category code, checked when the count is applied."""
_CODE: Final = re.compile(CODE_PATTERN)
Counter = Annotated[int, msgspec.Meta(ge=0, le=COUNTER_MAX)]
"""A count a device keeps (seq, versions)."""


_UUID: Final = re.compile(UUID_PATTERN)


def is_uuid(value: object) -> TypeGuard[str]:
    """Whether ``value`` is text in the shape of a UUID (an id a device or server made)."""
    return isinstance(value, str) and _UUID.match(value) is not None


def is_code(value: str) -> bool:
    """Whether ``value`` has the shape of a machine code (:data:`CODE_PATTERN`)."""
    return _CODE.match(value) is not None


def has_control(value: str) -> bool:
    """Whether ``value`` holds a character this app refuses in text."""
    return _CONTROL.search(value) is not None


def check_controls(field: str, value: str | None) -> None:
    """Refuse text with control characters (forms and other input not typed by msgspec).

    Raises:
        OpRejected: Naming the field, code ``control_chars``.
    """
    if value is not None and has_control(value):
        raise OpRejected("control_chars", CONTROL_MESSAGE, field=field)


@functools.cache
def free_text_fields(struct: type[msgspec.Struct]) -> tuple[str, ...]:
    """The names of ``struct``'s fields typed :data:`FreeText` (optional or not)."""
    hints = typing.get_type_hints(struct, include_extras=True)
    return tuple(name for name in struct.__struct_fields__ if _is_free_text(hints[name]))


def _is_free_text(hint: object) -> bool:
    if typing.get_origin(hint) is Annotated:
        return FREE_TEXT in typing.get_args(hint)[1:]
    return any(_is_free_text(arg) for arg in typing.get_args(hint))
