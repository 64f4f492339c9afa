"""Reconciliation shapes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from server.common.text import INT32_MAX, HexDigest, Uuid

# What one device can have made in a day, bounded by the column that keeps it.
OpCount = Annotated[int, msgspec.Meta(ge=0, le=INT32_MAX)]
# A tablet reports the days it has not reported yet; a year of them is more than enough.
MAX_REPORTS = 366


class DayReport(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One day as a device counts it."""

    day: dt.date
    op_count: OpCount
    digest: HexDigest = ""


class ReportIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Body of ``POST /api/sync/report``."""

    device_id: Uuid
    reports: Annotated[list[DayReport], msgspec.Meta(max_length=MAX_REPORTS)]


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
