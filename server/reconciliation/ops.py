"""Reconciliation ops: a device's report of the days it worked (how many ops it made each
day, and a digest of their ids), applied on the one write path so it is audited."""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.common.text import Uuid
from server.ops.envelope import OpBase, Payload
from server.reconciliation.schemas import MAX_REPORTS, DayReport


class ReportDays(Payload, frozen=True, kw_only=True):
    """``device.report_days``: per day, the device's op count and digest."""

    device_uid: Uuid
    reports: Annotated[list[DayReport], msgspec.Meta(max_length=MAX_REPORTS)]


class DeviceReportDays(OpBase, frozen=True, tag="device.report_days"):
    """Op: store a device's day reports (replacing earlier ones for the same days)."""

    payload: ReportDays
