"""An incident report's life, as a journal's: submitted by the business manager or deputy
with its content frozen, returned by the city with a comment or acknowledged, revised by
submitting again with a reason. Every step is an op (audited) and an event kept for good.
"""

from __future__ import annotations

from typing import Any

import msgspec

from server.common.errors import OpRejected
from server.incidents import service as incidents
from server.incidents.schemas import IncidentOut
from server.journal.report_ops import (
    ReportAcknowledge,
    ReportReturn,
    ReportSubmit,
    ReviewReport,
    TimelineEntry,
)
from server.journal.report_schemas import ReportContent, ReportRecord, ReportStep
from server.journal.reviews import Document, add_event, history, review, row_as
from server.journal.tables import IncidentReport, IncidentReportEvent
from server.messages import N_
from server.ops.apply import check_free_text
from server.ops.context import Applied, ApplyContext

UNKNOWN = OpRejected("incident_unknown", N_("No such incident."), field="uid")
CHANGED = N_("This report was changed meanwhile. Reload the page and try again.")
REASON_REQUIRED = N_("Say why the submitted report is revised.")
NOT_SUBMITTED = N_("Only a submitted report can be acknowledged or returned.")
SUMMARY_REQUIRED = N_("Write the summary of what happened.")
_CONTENT = msgspec.json.Decoder(ReportContent)


REPORT = Document(
    IncidentReport,
    IncidentReportEvent,
    "report",
    "incident_report",
    OpRejected("report_not_submitted", NOT_SUBMITTED),
    OpRejected("report_changed", CHANGED),
)


def draft(incident: IncidentOut) -> ReportContent:
    """A first report from what the incident's record already says."""
    timeline = [TimelineEntry(at=incident.occurred_at, text=incident.description)]
    return ReportContent(
        summary=incident.description,
        timeline=timeline,
        response=incident.immediate_action,
        prevention=incident.recurrence_prevention,
    )


async def _row(incident_id: int) -> dict[str, Any] | None:
    rows = await IncidentReport.select().where(IncidentReport.incident == incident_id)
    return rows[0] if rows else None


def _frozen(event: dict[str, Any]) -> ReportContent | None:
    return _CONTENT.decode(event["content"]) if event["content"] else None


async def record(incident_id: int) -> ReportRecord | None:
    """An incident's report with its history, oldest first; None if never submitted."""
    row = await _row(incident_id)
    if row is None:
        return None
    steps = await history(REPORT, row["id"], ReportStep, content=_frozen)
    return row_as(ReportRecord, row, content=_CONTENT.decode(row["content"]), steps=steps)


async def _incident(uid: str, context: ApplyContext) -> IncidentOut:
    found = await incidents.get(
        uid, now=context.now, report_minutes=context.field.incident_report_minutes
    )
    if found is None:
        raise UNKNOWN.with_traceback(None)
    return found


def _content(op: ReportSubmit) -> ReportContent:
    """The submitted content, its text trimmed and its timeline in time order."""
    payload = op.payload
    values = {name: getattr(payload, name) for name in ReportContent.__struct_fields__}
    trimmed = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    trimmed["timeline"] = sorted(
        (TimelineEntry(at=e.at, text=e.text.strip()) for e in payload.timeline),
        key=lambda entry: entry.at,
    )
    return msgspec.convert(trimmed, ReportContent)


async def apply_submit(op: ReportSubmit, context: ApplyContext) -> Applied:
    """Apply ``incident_report.submit``: the content is frozen as version n+1."""
    payload = op.payload
    incident = await _incident(payload.uid, context)
    for entry in payload.timeline:  # nested text: the op's own check sees only the top
        check_free_text("timeline", entry.text)
    content = _content(op)
    if not content.summary:
        raise OpRejected("summary_required", SUMMARY_REQUIRED, field="summary")
    row = await _row(incident.id)
    version = row["version"] if row else 0
    if payload.base_version != version:
        raise OpRejected("report_changed", CHANGED)
    if version and not payload.reason.strip():
        raise OpRejected("report_reason_required", REASON_REQUIRED, field="reason")
    frozen = msgspec.json.encode(content).decode()
    if row is None:
        made = IncidentReport(
            incident=incident.id,
            status="submitted",
            version=1,
            content=frozen,
            updated_at=context.now,
        )
        inserted = await IncidentReport.insert(made).returning(IncidentReport._meta.primary_key)
        report_id = int(inserted[0]["id"])
    else:
        report_id = int(row["id"])
        updated = (
            await IncidentReport.update(
                {
                    IncidentReport.status: "submitted",
                    IncidentReport.version: version + 1,
                    IncidentReport.content: frozen,
                    IncidentReport.updated_at: context.now,
                }
            )
            .where(
                (IncidentReport._meta.primary_key == report_id)
                & (IncidentReport.version == version)
            )
            .returning(IncidentReport._meta.primary_key)
        )
        if not updated:
            raise OpRejected("report_changed", CHANGED)
    reason = payload.reason.strip()
    await add_event(
        REPORT, report_id, version + 1, "submitted", context, content=frozen, reason=reason
    )
    return Applied(target=f"incident_report:{report_id}", entity_id=report_id)


async def _review(payload: ReviewReport, context: ApplyContext, action: str) -> Applied:
    incident = await _incident(payload.uid, context)
    row = await _row(incident.id)
    return await review(REPORT, row, payload.version, payload.comment, action, context)


async def apply_acknowledge(op: ReportAcknowledge, context: ApplyContext) -> Applied:
    """Apply ``incident_report.acknowledge``: the city has read this version."""
    return await _review(op.payload, context, "acknowledged")


async def apply_return(op: ReportReturn, context: ApplyContext) -> Applied:
    """Apply ``incident_report.return``: back to the manager with the city's comment."""
    return await _review(op.payload, context, "returned")
