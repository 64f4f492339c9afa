"""Compare each device's daily report with the ops the server received from it.

Both sides compute ``digest = sha256("\\n".join(sorted(op_ids)))`` over the ops the device
made that day (by the device's clock, in JST); "device says 37, server has 36" names a
lost op before the day is locked.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import msgspec

from server.audit.tables import AuditEvent
from server.auth.policy import Permission
from server.common.clock import JST
from server.common.errors import OpRejected
from server.ops.apply import apply_op, client_day
from server.ops.context import Actor, Applied, ApplyContext
from server.ops.registry import Kind
from server.reconciliation.ops import DeviceReportDays, ReportDays
from server.reconciliation.schemas import Comparison, DayReport
from server.reconciliation.tables import DeviceDayReport
from server.settings import FieldSettings
from server.sync import devices
from server.sync.tables import Device, SyncIssue

__all__ = ["JST", "compare_day", "digest", "received_by_device", "received_ids", "save_reports"]


def digest(op_ids: list[str]) -> str:
    """The digest both sides compute over a day's op ids."""
    return hashlib.sha256("\n".join(sorted(op_ids)).encode()).hexdigest()


async def save_reports(
    device_uid: str, reports: list[DayReport], *, actor: Actor, field: FieldSettings
) -> int:
    """Store a device's reports (a ``device.report_days`` op, replacing earlier ones for the
    same days).

    Returns:
        How many were stored; 0 when the device is unknown or revoked.
    """
    op = DeviceReportDays(
        device_id=device_uid, payload=ReportDays(device_uid=device_uid, reports=reports)
    )
    try:
        await apply_op(op, actor, field)
    except OpRejected as error:
        if error.code != "device_unknown":
            raise
        return 0
    return len(reports)


async def _apply_report(op: DeviceReportDays, context: ApplyContext) -> Applied:
    device_uid = op.payload.device_uid
    await devices.require_live(device_uid)
    for report in op.payload.reports:
        key = f"{device_uid}:{report.day.isoformat()}"
        await DeviceDayReport.delete().where(DeviceDayReport.key == key)
        await DeviceDayReport.insert(
            DeviceDayReport(
                key=key,
                device_uid=device_uid,
                day=report.day,
                op_count=report.op_count,
                digest=report.digest,
            )
        )
    return Applied(target=f"device:{device_uid}", entity_id=len(op.payload.reports))


KINDS = (Kind(DeviceReportDays, Permission.FIELD_WRITE, _apply_report, synced=False),)
"""The day-report op and its rule (installed by :mod:`server.domains`)."""


async def received_by_device(day: dt.date) -> dict[str, list[str]]:
    """Ids of the ops the server received from each device for one day (applied, in
    conflict, or rejected and kept), read for every device at once."""
    marker = f'"day":"{day.isoformat()}"'
    audited = await AuditEvent.select(AuditEvent.device_id, AuditEvent.detail).where(
        AuditEvent.device_id.is_not_null() & AuditEvent.detail.like(f"%{marker}%")
    )
    found: dict[str, set[str]] = {}
    for row in audited:
        detail = msgspec.json.decode(row["detail"])
        # One op's entry names it; a run of counts' entry names them all.
        ids = found.setdefault(str(row["device_id"]), set())
        ids.update(str(i) for i in detail.get("op_ids", [detail.get("op_id")]))
    kept = await SyncIssue.select(SyncIssue.device_uid, SyncIssue.op_id, SyncIssue.op).where(
        SyncIssue.status == "rejected"
    )
    for row in kept:
        op = msgspec.json.decode(row["op"])
        time = op.get("client_time")
        if time and client_day(dt.datetime.fromisoformat(time)) == day.isoformat():
            found.setdefault(str(row["device_uid"]), set()).add(str(row["op_id"]))
    return {uid: sorted(ids - {"None"}) for uid, ids in found.items()}


async def received_ids(device_uid: str, day: dt.date) -> list[str]:
    """Ids of the ops the server received from one device for one day."""
    return (await received_by_device(day)).get(device_uid, [])


async def compare_day(day: dt.date) -> list[Comparison]:
    """Every device that reported ``day`` or sent ops made that day, both accounts side by side."""
    reports = {
        r["device_uid"]: r for r in await DeviceDayReport.select().where(DeviceDayReport.day == day)
    }
    received = await received_by_device(day)
    found = []
    for device in await Device.select(Device.uid, Device.label):
        ids = received.get(str(device["uid"]), [])
        report = reports.get(device["uid"])
        if report is None and not ids:
            continue
        found.append(
            Comparison(
                device_id=str(device["uid"]),
                label=str(device["label"]),
                day=day,
                device_count=None if report is None else int(report["op_count"]),
                device_digest=None if report is None else str(report["digest"]),
                server_count=len(ids),
                server_digest=digest(ids),
            )
        )
    return found
