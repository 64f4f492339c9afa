"""Reconciliation shapes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

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


FindingKind = Literal[
    "device_mismatch",
    "device_silent",
    "sync_rejected",
    "sync_conflict",
    "session_open_late",
    "session_never_opened",
    "session_understaffed",
    "apps_over_visitors",
    "count_outside_window",
    "no_counts",
    "device_outlier",
    "incident_overdue",
    "incident_no_prevention",
    "journal_not_submitted",
    "journal_changed",
]
"""Every kind of open problem a day can have, by a stable code (the CLI's JSON, settings)."""
FINDING_KINDS: tuple[str, ...] = get_args(FindingKind)
Param = str | int


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One open problem of a site's day. ``key`` names it stably across runs (a later
    settlement is kept against it); ``params`` are the figures its message shows."""

    kind: FindingKind
    site_id: int | None
    site_code: str | None
    site_name_ja: str = ""
    site_name_en: str = ""
    key: str
    blocking: bool
    params: dict[str, Param] = {}
    work_session_id: int | None = None
    incident_uid: str | None = None
    device_uid: str | None = None
    sync_issue_id: int | None = None
