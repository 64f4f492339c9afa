"""What applying an op needs to know besides the op."""

from __future__ import annotations

import datetime as dt

import msgspec

from server.settings import FieldSettings


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who an op acts for; ``uploaded_by``: the person who uploaded the file it came in."""

    staff_id: int
    role: str
    uploaded_by: int | None = None


class ApplyContext(msgspec.Struct, frozen=True, kw_only=True):
    """The actor, the field rules' settings and the server's clock for this op.

    ``record_conflicts``: a stale edit of a field changed meanwhile is kept as a conflict
    (synced ops) instead of refused (a form, whose user can reload and retry).
    ``device_id``: the device the op came from, if any (its own earlier edits never clash).
    """

    actor: Actor
    field: FieldSettings
    now: dt.datetime
    record_conflicts: bool = False
    device_id: str | None = None


class Conflict(msgspec.Struct, frozen=True, kw_only=True):
    """A field two devices changed from the same version: both values are kept."""

    field: str
    server_value: object
    incoming_value: object


class Applied(msgspec.Struct, frozen=True, kw_only=True):
    """What an applied op did: its audit target, the id (and version) it touched, and the
    fields left for a supervisor because another device changed them first."""

    target: str
    entity_id: int | str | None = None
    version: int | None = None
    conflicts: list[Conflict] = []
