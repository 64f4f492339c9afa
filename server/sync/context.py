"""What applying an op needs to know besides the op."""

from __future__ import annotations

import datetime as dt

import msgspec

from server.settings import FieldSettings


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who an op acts for."""

    staff_id: int
    role: str


class ApplyContext(msgspec.Struct, frozen=True, kw_only=True):
    """The actor, the field rules' settings and the server's clock for this op."""

    actor: Actor
    field: FieldSettings
    now: dt.datetime


class Applied(msgspec.Struct, frozen=True, kw_only=True):
    """What an applied op did: its audit target and the id (and version) it touched."""

    target: str
    entity_id: int | str | None = None
    version: int | None = None
