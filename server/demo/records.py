"""The demo month's paperwork: incidents filed where they happened and followed up, and
each site-day's journal submitted, acknowledged by the city, one returned and revised."""

from __future__ import annotations

import datetime as dt
import uuid

from server.common.clock import JST
from server.demo.data import (
    HANDOVERS,
    INCIDENTS,
    NOTES,
    RETURN_COMMENT,
    REVISED_NOTE,
    REVISED_REASON,
)
from server.journal import ops as journal_ops
from server.ops.apply import apply_op
from server.ops.context import Actor
from server.settings import FieldSettings
from server.sync import ops

SiteDay = tuple[int, dt.date]
FRESH = 3  # the month's last incidents, still open or only reported
UNREAD_DAYS = 2  # the last submitted days the city has not acknowledged yet


def statuses(count: int) -> list[str]:
    """How far each of ``count`` incidents, oldest first, has got: most closed, one in
    five of the older ones reported and awaiting its prevention, the last few open."""
    older = ["reported" if index % 5 == 3 else "closed" for index in range(count - FRESH)]
    return older + ["open", "reported", "open"][: min(count, FRESH)]


async def incident(
    index: int,
    status: str,
    site_id: int,
    session: int,
    occurred: dt.datetime,
    worker: Actor,
    field: FieldSettings,
) -> None:
    """File ``INCIDENTS[index]`` five minutes after it occurred and take it to ``status``."""
    category, severity, _, text = INCIDENTS[index]
    uid = str(uuid.uuid4())
    create = ops.CreateIncident(
        uid=uid,
        site_id=site_id,
        work_session_id=session,
        category=category,
        severity=severity,
        occurred_at=occurred,
        description=text,
        immediate_action="責任者に報告し、その場で対応。",
    )
    await apply_op(
        ops.IncidentCreate(payload=create), worker, field, now=occurred + dt.timedelta(minutes=5)
    )
    if status == "open":
        return  # a serious one left open goes overdue
    reported = ops.UpdateIncident(uid=uid, status="reported")
    await apply_op(
        ops.IncidentUpdate(payload=reported, base_version=1),
        worker,
        field,
        now=occurred + dt.timedelta(minutes=30),
    )
    if status == "closed":
        closed = ops.UpdateIncident(
            uid=uid, status="closed", recurrence_prevention="手順書を改訂し、朝礼で全員に周知した。"
        )
        await apply_op(
            ops.IncidentUpdate(payload=closed, base_version=2),
            worker,
            field,
            now=occurred + dt.timedelta(days=1),
        )


def _next_workday(day: dt.date) -> dt.date:
    """The city reads journals on the next weekday."""
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


async def journals(
    site_days: list[SiteDay],
    people: dict[str, list[int]],
    field: FieldSettings,
    notes: dict[SiteDay, str],
    returned: SiteDay | None,
) -> int:
    """Submit each past site-day's journal that evening, but the last day's (still to
    write); the city acknowledges them the next weekday but the last few days'. The
    ``returned`` one is sent back with a comment and revised with a reason first.

    Returns:
        How many journals were submitted.
    """
    managers = [Actor(staff_id=i, role="business_manager") for i in people["business_manager"]]
    city = Actor(staff_id=people["city_staff"][0], role="city_staff")
    days = sorted({day for _, day in site_days})
    written = set(days[:-1]) if len(days) > 1 else set(days)
    unread = set(sorted(written)[-UNREAD_DAYS:])
    submitted = 0
    for index, (site_id, day) in enumerate(site_days):
        if day not in written:
            continue
        manager = managers[index % len(managers)]
        evening = dt.datetime.combine(day, dt.time(18), JST) + dt.timedelta(minutes=index % 40)
        note = notes.get((site_id, day), NOTES[index % len(NOTES)])
        submit = journal_ops.SubmitJournal(
            site_id=site_id,
            day=day,
            base_version=0,
            notes=note,
            handover=HANDOVERS[index % len(HANDOVERS)],
        )
        await apply_op(journal_ops.JournalSubmit(payload=submit), manager, field, now=evening)
        submitted += 1
        morning = dt.datetime.combine(_next_workday(day), dt.time(9, 30), JST)
        morning += dt.timedelta(minutes=index % 60)
        version = 1
        if (site_id, day) == returned:
            back = journal_ops.ReviewJournal(
                site_id=site_id, day=day, version=1, comment=RETURN_COMMENT
            )
            await apply_op(journal_ops.JournalReturn(payload=back), city, field, now=morning)
            again = journal_ops.SubmitJournal(
                site_id=site_id,
                day=day,
                base_version=1,
                notes=f"{note}{REVISED_NOTE}",
                reason=REVISED_REASON,
            )
            later = morning + dt.timedelta(hours=1)
            await apply_op(journal_ops.JournalSubmit(payload=again), manager, field, now=later)
            version = 2
        at = morning + dt.timedelta(hours=2)
        if day not in unread and at < dt.datetime.now(dt.UTC):
            seen = journal_ops.ReviewJournal(site_id=site_id, day=day, version=version)
            await apply_op(journal_ops.JournalAcknowledge(payload=seen), city, field, now=at)
    return submitted
