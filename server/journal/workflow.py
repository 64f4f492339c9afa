"""A journal's life: submitted by the business manager or deputy with the day's figures
frozen, returned by the city with a comment or acknowledged, and revised by submitting
again with a reason. Every step is an op (audited) and an event kept for good.

Figures are frozen at each submission: ops synced later for that day change the live
journal, not the submitted one; the page shows the difference.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from server.common.errors import OpRejected
from server.common.parsing import in_jst
from server.journal.compile import compile_day
from server.journal.ops import JournalAcknowledge, JournalReturn, JournalSubmit, ReviewJournal
from server.journal.reviews import Document, add_event, history, review, row_as
from server.journal.schemas import Frozen, JournalDay, JournalRecord, JournalStep
from server.journal.tables import Journal, JournalEvent
from server.messages import N_
from server.ops.context import Applied, ApplyContext

FUTURE_DAY = N_("A journal can only be shown for today or an earlier day.")
CHANGED = N_("This journal was changed meanwhile. Reload the page and try again.")
REASON_REQUIRED = N_("Say why the submitted journal is revised.")
NOT_SUBMITTED = N_("Only a submitted journal can be acknowledged or returned.")


JOURNAL = Document(
    Journal,
    JournalEvent,
    "journal",
    "journal",
    OpRejected("journal_not_submitted", NOT_SUBMITTED),
    OpRejected("journal_changed", CHANGED),
)


def freeze(day: JournalDay) -> Frozen:
    """What a submission keeps of the compiled day."""
    return Frozen(
        cells=[(slot, code, n) for (slot, code), n in sorted(day.cells.items())],
        by_category=day.by_category,
        total=day.total,
        on_duty=day.on_duty,
        incidents=[i.uid for i in (*day.faults, *day.complaints, *day.incidents)],
    )


def differences(frozen: Frozen, live: JournalDay) -> dict[str, tuple[int, int]]:
    """Categories whose count changed since the submission: ``(submitted, now)``."""
    codes = set(frozen.by_category) | set(live.by_category)
    return {
        code: (frozen.by_category.get(code, 0), live.by_category.get(code, 0))
        for code in sorted(codes)
        if frozen.by_category.get(code, 0) != live.by_category.get(code, 0)
    }


async def _row(site_id: int, day: dt.date) -> dict[str, Any] | None:
    rows = await Journal.select().where((Journal.site == site_id) & (Journal.day == day))
    return rows[0] if rows else None


def _frozen(event: dict[str, Any]) -> Frozen | None:
    return msgspec.json.decode(event["figures"], type=Frozen) if event["figures"] else None


async def record(site_id: int, day: dt.date) -> JournalRecord | None:
    """The journal of a site's day with its history, oldest first; None if never submitted."""
    row = await _row(site_id, day)
    if row is None:
        return None
    steps = await history(JOURNAL, row["id"], JournalStep, frozen=_frozen)
    return row_as(JournalRecord, row, steps=steps)


async def apply_submit(op: JournalSubmit, context: ApplyContext) -> Applied:
    """Apply ``journal.submit``: the figures as they stand now are frozen in version n+1."""
    payload = op.payload
    if payload.day > in_jst(context.now).date():
        raise OpRejected("day_future", FUTURE_DAY, field="day")
    row = await _row(payload.site_id, payload.day)
    version = row["version"] if row else 0
    if payload.base_version != version:
        raise OpRejected("journal_changed", CHANGED)
    if version and not payload.reason.strip():
        raise OpRejected("reason_required", REASON_REQUIRED, field="reason")
    day = await compile_day(
        payload.site_id,
        payload.day,
        now=context.now,
        slot_minutes=context.field.slot_minutes,
        report_minutes=context.field.incident_report_minutes,
    )
    if day is None:
        raise OpRejected("site_unknown", N_("No such site."), field="site_id")
    values: dict[str, Any] = {
        "status": "submitted",
        "version": version + 1,
        "notes": payload.notes.strip(),
        "handover": payload.handover.strip(),
        "updated_at": context.now,
    }
    if row is None:
        made = Journal(site=payload.site_id, day=payload.day)
        for name, value in values.items():
            setattr(made, name, value)
        inserted = await Journal.insert(made).returning(Journal._meta.primary_key)
        journal_id = int(inserted[0]["id"])
    else:
        journal_id = int(row["id"])
        updated = (
            await Journal.update(values)  # type: ignore[arg-type]
            .where((Journal._meta.primary_key == journal_id) & (Journal.version == version))
            .returning(Journal._meta.primary_key)
        )
        if not updated:
            raise OpRejected("journal_changed", CHANGED)
    await add_event(
        JOURNAL,
        journal_id,
        version + 1,
        "submitted",
        context,
        figures=msgspec.json.encode(freeze(day)).decode(),
        notes=values["notes"],
        handover=values["handover"],
        reason=payload.reason.strip(),
    )
    return Applied(target=f"journal:{journal_id}", entity_id=journal_id)


async def _review(payload: ReviewJournal, context: ApplyContext, action: str) -> Applied:
    row = await _row(payload.site_id, payload.day)
    return await review(JOURNAL, row, payload.version, payload.comment, action, context)


async def apply_acknowledge(op: JournalAcknowledge, context: ApplyContext) -> Applied:
    """Apply ``journal.acknowledge``: the city has read this version."""
    return await _review(op.payload, context, "acknowledged")


async def apply_return(op: JournalReturn, context: ApplyContext) -> Applied:
    """Apply ``journal.return``: back to the business manager with the city's comment."""
    return await _review(op.payload, context, "returned")
