"""Incident report shapes: the report's content in the published order, its history, and
the deadlines of a report to the Personal Information Protection Commission."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from server.journal.report_ops import Harm, Publication, TimelineEntry
from server.messages import N_

# A personal-data breach is reported to the Commission promptly (速報, within days of its
# discovery; we count 5) and in full (確報) within 30 days, or 60 when it was malicious.
PROMPT_DAYS = 5
FINAL_DAYS = 30
FINAL_DAYS_MALICIOUS = 60
NEAR_DAYS = {"prompt": 2, "final": 7}
PERSONAL_DATA = "personal_information"

HARM_LABELS = {
    "none": N_("None"),
    "occurred": N_("Occurred"),
    "possible": N_("Possible"),
    "unknown": N_("Not known yet"),
}
PUBLICATION_LABELS = {
    "published": N_("Published"),
    "planned": N_("To be published"),
    "not_published": N_("Not published"),
}
STATUS_LABELS = {
    "draft": N_("Not submitted"),
    "submitted": N_("Submitted"),
    "returned": N_("Returned"),
    "acknowledged": N_("Acknowledged"),
}
DEADLINE_STATES = {
    "done": N_("Reported on %(date)s"),
    "due": N_("Due by %(date)s"),
    "near": N_("Due soon: by %(date)s"),
    "overdue": N_("Overdue since %(date)s"),
}
DEADLINE_LABELS = {
    "prompt": N_("Prompt report to the Commission"),
    "final": N_("Full report to the Commission"),
}


class ReportContent(msgspec.Struct, frozen=True, kw_only=True):
    """What a report says: 概要, 経緯, 対象者への対応, 原因, 再発防止策, follow-up, and the
    Commission's items for a personal-data incident."""

    summary: str = ""
    timeline: list[TimelineEntry] = msgspec.field(default_factory=list)
    response: str = ""
    cause: str = ""
    prevention: str = ""
    follow_up: str = ""
    leaked_items: str = ""
    persons: int | None = None
    secondary_harm: Harm = ""
    persons_response: str = ""
    publication: Publication = ""
    malicious: bool = False
    discovered_on: dt.date | None = None
    prompt_reported_on: dt.date | None = None
    final_reported_on: dt.date | None = None


class Deadline(msgspec.Struct, frozen=True, kw_only=True):
    """A report due to the Commission: when, whether made, and how it stands today."""

    kind: Literal["prompt", "final"]
    due: dt.date
    reported_on: dt.date | None
    state: Literal["done", "due", "near", "overdue"]
    days_left: int

    @property
    def shown_date(self) -> dt.date:
        """The date its state speaks of: when it was made, else when it is due."""
        return self.reported_on or self.due


class ReportStep(msgspec.Struct, frozen=True, kw_only=True):
    """One event of a report: a submission with the content it froze, a return or an
    acknowledgement."""

    version: int
    action: str
    content: ReportContent | None
    reason: str
    comment: str
    actor_id: int | None
    at: dt.datetime


class ReportRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A submitted report as it stands, with its history oldest first."""

    id: int
    status: str
    version: int
    content: ReportContent
    steps: list[ReportStep]


def deadlines(
    category: str, occurred: dt.date, content: ReportContent, today: dt.date
) -> list[Deadline]:
    """The Commission's two reports for a personal-data incident (none for other kinds),
    counted from the day it was discovered (the day it happened, unless said)."""
    if category != PERSONAL_DATA:
        return []
    found = content.discovered_on or occurred
    final_days = FINAL_DAYS_MALICIOUS if content.malicious else FINAL_DAYS
    kinds: tuple[tuple[Literal["prompt", "final"], int, dt.date | None], ...] = (
        ("prompt", PROMPT_DAYS, content.prompt_reported_on),
        ("final", final_days, content.final_reported_on),
    )
    listed = []
    for kind, days, reported in kinds:
        due = found + dt.timedelta(days=days)
        left = (due - today).days
        state: Literal["done", "due", "near", "overdue"] = "due"
        if reported is not None:
            state = "done"
        elif left < 0:
            state = "overdue"
        elif left <= NEAR_DAYS[kind]:
            state = "near"
        listed.append(
            Deadline(kind=kind, due=due, reported_on=reported, state=state, days_left=left)
        )
    return listed
