"""The sync API's wire format (msgspec structs; they document the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import msgspec

from server.common.text import FreeText, Id, Uuid
from server.sync.ops import Op, Unreadable

SCHEMA_VERSIONS = (1,)
MAX_BATCH = 1000


class DeviceIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Body of ``POST /api/devices``: the device's name, or the site of the field page
    registering it (the name is then the site's and the next free number there)."""

    label: Annotated[FreeText, msgspec.Meta(max_length=100)] = ""
    site_id: Id | None = None


class DeviceOut(msgspec.Struct, frozen=True, kw_only=True):
    """A registered device: ``label`` is its name; ``last_user_id`` pushed from it last,
    at ``last_seen_at``."""

    device_id: str
    label: str
    high_water: int
    registered_by: int
    created_at: dt.datetime
    last_seen_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    site_id: int | None = None
    number: int | None = None
    last_user_id: int | None = None


class DeviceListed(msgspec.Struct, frozen=True, kw_only=True):
    """A device on the managers' list, with the name of who pushed from it last."""

    device: DeviceOut
    last_user: str = ""


class PushIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Body of ``POST /api/sync/push``: a device's ops in ``seq`` order."""

    device_id: Uuid
    schema_version: int
    ops: list[Op] = msgspec.field(default_factory=list)


class Batch(msgspec.Struct, frozen=True, kw_only=True):
    """A push as the server handles it: the ops read, and those that could not be
    (:class:`Unreadable`), each in its place (``server.sync.intake``)."""

    device_id: str
    schema_version: int
    ops: Sequence[Op | Unreadable]


class OpResult(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What happened to one op."""

    op_id: str | None
    seq: int
    status: Literal["applied", "duplicate", "conflict", "rejected"]
    code: str | None = None
    field: str | None = None
    message: str | None = None


class Gap(msgspec.Struct, frozen=True):
    """The batch stopped here: the server expected ``expected`` and got ``got``."""

    expected: int
    got: int


class PushOut(msgspec.Struct, frozen=True, kw_only=True):
    """Answer to a push: the device's new high-water mark and one result per op handled."""

    high_water: int
    results: list[OpResult]
    gap: Gap | None = None


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One changed thing, as it is now."""

    seq: int
    entity: str
    id: int | str
    data: dict[str, Any] | msgspec.Struct | None  # a struct: a pulled work session


class PullOut(msgspec.Struct, frozen=True, kw_only=True):
    """Answer to a pull: changes after the cursor, and where to continue.

    ``high_water`` is the asking device's mark (when it named a registered device), read in
    the same snapshot as the changes' data: a work session's ``cells`` hold exactly that
    device's ops up to it. ``read_at`` is the server's clock just before the reads (the data
    is at least that recent).
    """

    changes: list[Change]
    next_cursor: int
    has_more: bool
    high_water: int | None = None
    read_at: dt.datetime | None = None


class SyncError(Exception):
    """The request as a whole is refused.

    Attributes:
        code: Machine-readable reason.
        message: English message id.
        status: HTTP status.
    """

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.status = status
