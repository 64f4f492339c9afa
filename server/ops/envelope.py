"""The op envelope every domain's ops share, and the base of their payloads.

An op is ``{op_id, device_id, seq, type, actor_id, client_time, base_version, payload}``;
``type`` tags a msgspec union, so decoding picks the payload shape. Every field is typed
strictly (:mod:`server.common.text`): ids within the databases' integers, generated ids by
their shape, times with an offset and within :data:`EARLIEST`..:data:`LATEST`, and text as
``FreeText``, which the My Number guard checks.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar

import msgspec

from server.common.text import Counter, Id, OpId, Uuid

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
Moment = Annotated[dt.datetime, msgspec.Meta(tz=True)]
"""An instant with its offset: a time without one cannot be placed, nor compared."""


class Payload(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of op payloads; ``moments`` names the fields holding times (their range is
    checked with the op's rules: :func:`server.ops.apply.check_op`)."""

    moments: ClassVar[tuple[str, ...]] = ()


class OpBase(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Envelope fields every op carries; each domain's op classes add a tagged ``payload``."""

    op_id: OpId | None = None
    device_id: Uuid | None = None
    seq: Counter | None = None
    actor_id: Id | None = None
    client_time: Moment | None = None
    base_version: Counter | None = None

    payload: Payload


def tag_of(op_class: type[OpBase]) -> str:
    """The ``type`` tag of an op class."""
    tag: str = op_class.__struct_config__.tag  # type: ignore[assignment]
    return tag
