"""Incident report ops: submitting an incident's report (again, with a reason, to revise
it), and the city's return with a comment or acknowledgement. Made by the report page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

import msgspec

from server.common.text import FreeText, Uuid
from server.journal.ops import Version
from server.ops.envelope import Moment, OpBase, Payload

Persons = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]
Harm = Literal["", "none", "occurred", "possible", "unknown"]
Publication = Literal["", "published", "planned", "not_published"]


class TimelineEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One line of the 経緯: when, and what happened or was done."""

    at: Moment
    text: FreeText


class SubmitReport(Payload, frozen=True, kw_only=True):
    """``incident_report.submit``: the report of incident ``uid`` in the published order
    (概要, 経緯, 対象者への対応, 原因, 再発防止策, follow-up) and, for a personal-data
    incident, the items of a report to the Personal Information Protection Commission.
    ``base_version`` is the version the form showed (0: never submitted); a report
    submitted before needs the ``reason`` it is revised for."""

    moments: ClassVar[tuple[str, ...]] = ()

    uid: Uuid
    base_version: Version
    reason: FreeText = ""
    summary: FreeText
    timeline: Annotated[list[TimelineEntry], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )
    response: FreeText = ""
    cause: FreeText = ""
    prevention: FreeText = ""
    follow_up: FreeText = ""
    leaked_items: FreeText = ""
    persons: Persons | None = None
    secondary_harm: Harm = ""
    persons_response: FreeText = ""
    publication: Publication = ""
    malicious: bool = False
    discovered_on: dt.date | None = None
    prompt_reported_on: dt.date | None = None
    final_reported_on: dt.date | None = None


class ReportSubmit(OpBase, frozen=True, tag="incident_report.submit"):
    """Op: submit (or revise) an incident report."""

    payload: SubmitReport


class ReviewReport(Payload, frozen=True, kw_only=True):
    """The city's answer to submitted version ``version`` of incident ``uid``'s report:
    ``incident_report.acknowledge``, or ``incident_report.return`` with a ``comment``."""

    uid: Uuid
    version: Version
    comment: FreeText = ""


class ReportAcknowledge(OpBase, frozen=True, tag="incident_report.acknowledge"):
    """Op: the city acknowledges a submitted incident report."""

    payload: ReviewReport


class ReportReturn(OpBase, frozen=True, tag="incident_report.return"):
    """Op: the city returns a submitted incident report with a comment."""

    payload: ReviewReport
