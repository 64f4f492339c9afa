"""Journal ops: submitting a site's day (again, with a reason, to revise it), and the
city's return with a comment or acknowledgement. Made by forms on the journal page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from server.common.text import FreeText, Id
from server.ops.envelope import OpBase, Payload

Version = Annotated[int, msgspec.Meta(ge=0, le=10_000)]


class SubmitJournal(Payload, frozen=True, kw_only=True):
    """``journal.submit``: the day's figures frozen as they stand, with 特記事項 and
    引継ぎ事項; ``base_version`` is the version the form showed (0: never submitted), and a
    journal submitted before needs the ``reason`` it is revised for."""

    site_id: Id
    day: dt.date
    base_version: Version
    notes: FreeText = ""
    handover: FreeText = ""
    reason: FreeText = ""


class JournalSubmit(OpBase, frozen=True, tag="journal.submit"):
    """Op: submit (or revise) a daily journal."""

    payload: SubmitJournal


class ReviewJournal(Payload, frozen=True, kw_only=True):
    """The city's answer to submitted version ``version``: ``journal.acknowledge``, or
    ``journal.return`` with the ``comment`` that says what to change."""

    site_id: Id
    day: dt.date
    version: Version
    comment: FreeText = ""


class JournalAcknowledge(OpBase, frozen=True, tag="journal.acknowledge"):
    """Op: the city acknowledges a submitted journal."""

    payload: ReviewJournal


class JournalReturn(OpBase, frozen=True, tag="journal.return"):
    """Op: the city returns a submitted journal with a comment."""

    payload: ReviewJournal
