"""Reconciliation shapes."""

from __future__ import annotations

import datetime as dt

import msgspec


class DayReport(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One day as a device counts it."""

    day: dt.date
    op_count: int = msgspec.field()
    digest: str = ""


class ReportIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Body of ``POST /api/sync/report``."""

    device_id: str
    reports: list[DayReport]


class Comparison(msgspec.Struct, frozen=True, kw_only=True):
    """A device's day, as it reported it and as the server received it."""

    device_id: str
    label: str
    day: dt.date
    device_count: int | None
    device_digest: str | None
    server_count: int
    server_digest: str

    @property
    def matches(self) -> bool:
        """The device's count and digest equal the server's."""
        return (self.device_count, self.device_digest) == (self.server_count, self.server_digest)
