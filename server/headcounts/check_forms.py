"""The Start and Finish forms of the field page, with their checklists and, at a fixed
counter, the card-stock count: read into the ``work_session.open`` and
``work_session.close`` payloads."""

from __future__ import annotations

import datetime as dt
import unicodedata

import msgspec

from server.common.text import FreeText
from server.messages import N_
from server.web.form_fields import FormChoice, FormId
from server.work_sessions import ops

BAD_COUNT = N_("Enter the number of cards as a whole number, 0 or more.")
MAX_COUNT = 1_000_000

Checks = FormChoice | list[FormChoice]
"""The ticked boxes: one value, or several (a form sends each checked box once)."""


class StartForm(msgspec.Struct):
    """The Start button's form: a manager's reason for starting on another day, and the
    opening checklist (``checks_shown``: the form had one)."""

    override_reason: FreeText = ""
    checks_shown: FormChoice = ""
    check: Checks = []
    stock_start: FormId = ""


class FinishForm(msgspec.Struct):
    """The confirmation's form: ``confirmed`` is ``yes`` once the totals were shown; the
    closing checklist and the card stock."""

    confirmed: FormChoice = ""
    checks_shown: FormChoice = ""
    check: Checks = []
    stock_received: FormId = ""
    stock_issued: FormId = ""
    stock_spoiled: FormId = ""
    stock_end: FormId = ""


class CountProblem(ValueError):
    """A card count that is not a whole number from 0 (its message is :data:`BAD_COUNT`)."""


def _count(text: str) -> int | None:
    """A count typed in a number input (full-width digits too); None when left empty.

    Raises:
        CountProblem: Not a whole number from 0 to :data:`MAX_COUNT`.
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_COUNT))):
        raise CountProblem(BAD_COUNT)
    number = int(text)
    if number > MAX_COUNT:
        raise CountProblem(BAD_COUNT)
    return number


def _checked(form: StartForm | FinishForm) -> list[str] | None:
    if form.checks_shown != "yes":
        return None  # a form from before checklists: nothing recorded
    return [form.check] if isinstance(form.check, str) else list(form.check)


def opening(form: StartForm, session_id: int, at: dt.datetime) -> ops.OpenWorkSession:
    """The ``work_session.open`` payload of the Start form.

    Raises:
        CountProblem: The card count is not a whole number from 0.
    """
    return ops.OpenWorkSession(
        work_session_id=session_id,
        at=at,
        override_reason=form.override_reason,
        checks=_checked(form),
        stock_start=_count(form.stock_start),
    )


def closing(form: FinishForm, session_id: int, at: dt.datetime) -> ops.CloseWorkSession:
    """The ``work_session.close`` payload of the Finish form: the stock only when the end
    count was given (movements left empty are none).

    Raises:
        CountProblem: A card count is not a whole number from 0.
    """
    received, issued, spoiled, end = (
        _count(text)
        for text in (form.stock_received, form.stock_issued, form.stock_spoiled, form.stock_end)
    )
    stock = None
    if end is not None:
        stock = ops.ClosingStock(
            received=received or 0, issued=issued or 0, spoiled=spoiled or 0, end=end
        )
    elif any(value is not None for value in (received, issued, spoiled)):
        raise CountProblem(N_("Enter the cards counted at the end as well."))
    return ops.CloseWorkSession(
        work_session_id=session_id, at=at, checks=_checked(form), stock=stock
    )
