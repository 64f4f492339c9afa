"""The daily journal's rules, as other domains and the routes meet them: compiling a site's
day (:mod:`server.journal.compile`) and its submission workflow
(:mod:`server.journal.workflow`); and incident reports (:mod:`.incident_report`)."""

from __future__ import annotations

from server.auth.policy import Permission
from server.journal import incident_report, ops, report_ops
from server.journal.compile import compile_day
from server.journal.schemas import JournalDay
from server.journal.workflow import (
    apply_acknowledge,
    apply_return,
    apply_submit,
    differences,
    freeze,
    record,
)
from server.ops.registry import Kind
from server.reconciliation import findings, review
from server.settings import FieldSettings

__all__ = ["KINDS", "compile_day", "differences", "freeze", "record"]
report_draft = incident_report.draft
report_record = incident_report.record


async def open_problems(day: JournalDay, field: FieldSettings) -> list[review.Item]:
    """The synced changes of this site-day still waiting for a supervisor: refused or in
    conflict, on one of its sessions or its incidents (read by reconciliation's one
    service, which reports them as ``sync_rejected`` and ``sync_conflict``)."""
    return await findings.open_sync_items(day.day, day.site.id, field)


KINDS = (
    Kind(ops.JournalSubmit, Permission.SUBMIT_JOURNAL, apply_submit, synced=False),
    Kind(ops.JournalAcknowledge, Permission.ACKNOWLEDGE, apply_acknowledge, synced=False),
    Kind(ops.JournalReturn, Permission.ACKNOWLEDGE, apply_return, synced=False),
    Kind(
        report_ops.ReportSubmit,
        Permission.SUBMIT_JOURNAL,
        incident_report.apply_submit,
        synced=False,
    ),
    Kind(
        report_ops.ReportAcknowledge,
        Permission.ACKNOWLEDGE,
        incident_report.apply_acknowledge,
        synced=False,
    ),
    Kind(
        report_ops.ReportReturn,
        Permission.ACKNOWLEDGE,
        incident_report.apply_return,
        synced=False,
    ),
)
"""The journal ops and the rules that apply them (installed by :mod:`server.domains`)."""
