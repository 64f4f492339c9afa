"""The work-session forms and the list's filters: as the browser sends them, and read.

Dates and times are Japan time (JST): the plan form takes a date and ``HH:MM`` times.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Callable
from typing import TypeVar

import msgspec

from server.common.parsing import at_jst, parse_date, parse_id, today_jst
from server.common.text import FreeText
from server.messages import N_
from server.web.form_fields import FormChoice, FormDate, FormId, FormTime
from server.work_sessions import ops
from server.work_sessions.schemas import STATUSES as STATUSES

DUTIES: tuple[str, ...] = typing.get_args(typing.get_type_hints(ops.AssignStaff)["duty"])
DEFAULT_DAYS_BACK = 7
T = TypeVar("T")


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    """The plan form (:class:`PlanForm`), read."""

    site_id: int
    work_date: dt.date
    planned_start: dt.time
    planned_end: dt.time
    notes: str
    allow_overlap: str | None = None

    def payload(self) -> ops.PlanWorkSession:
        """The ``work_session.plan`` payload: the window on the JST date (an overlap with
        another session at the site confirmed when its box was ticked)."""
        return ops.PlanWorkSession(
            site_id=self.site_id,
            work_date=self.work_date,
            planned_start=at_jst(self.work_date, self.planned_start),
            planned_end=at_jst(self.work_date, self.planned_end),
            notes=self.notes,
            allow_overlap=self.allow_overlap == "yes",
        )


PLAN_MESSAGES = {
    "site_id": N_("Choose a site."),
    "work_date": N_("Enter a date."),
    "planned_start": N_("Enter a time as HH:MM."),
    "planned_end": N_("Enter a time as HH:MM."),
}


class PlanForm(msgspec.Struct):
    """The plan form: date and HH:MM times in JST, as the browser sends them."""

    site_id: FormId = ""
    work_date: FormDate = ""
    planned_start: FormTime = ""
    planned_end: FormTime = ""
    notes: FreeText = ""
    allow_overlap: FormChoice = ""


class AssignForm(msgspec.Struct):
    """The assign form, read as the ``work_session.assign`` payload."""

    staff_id: FormId = ""
    duty: FormChoice = ""


ASSIGN_MESSAGES = {"staff_id": N_("Choose a person."), "duty": N_("Choose a duty.")}


class ReopenForm(msgspec.Struct):
    """The reopen form (managers): why a finished session opens again."""

    reason: FreeText = ""


class Filters(msgspec.Struct, frozen=True, kw_only=True):
    """The list's filters, as parsed from the query string."""

    site_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    status: str | None = None

    def query(self) -> dict[str, str]:
        """The filters as form values."""
        return {
            "site_id": "" if self.site_id is None else str(self.site_id),
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "status": self.status or "",
        }


def _quietly(parse: Callable[[str], T], text: str | None) -> T | None:
    """``parse(text)``, or None for no text or text that does not parse."""
    try:
        return None if text is None else parse(text)
    except ValueError:
        return None


def parse_filters(
    site_id: str | None, date_from: str | None, date_to: str | None, status: str | None
) -> Filters:
    """Filters from the query string; an absent ``date_from`` means a week ago (JST).

    An empty ``date_from`` (the field cleared) means no lower bound; values that do not
    parse are ignored.
    """
    start = (
        today_jst() - dt.timedelta(days=DEFAULT_DAYS_BACK)
        if date_from is None
        else _quietly(parse_date, date_from)
    )
    return Filters(
        site_id=_quietly(parse_id, site_id),
        date_from=start,
        date_to=_quietly(parse_date, date_to),
        status=status if status in STATUSES else None,
    )
