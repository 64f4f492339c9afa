"""The incident report's form, read into the ``incident_report.submit`` payload: the 経緯
typed one line per moment ("HH:MM what happened", or with a date first), the number of
people as a count, the rest as the browser sent it."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

import msgspec

from server.common.clock import JST
from server.common.text import FreeText
from server.journal.report_ops import SubmitReport, TimelineEntry
from server.messages import N_
from server.web.form_fields import FormChoice, FormDate, FormId
from server.web.forms import read_form
from server.web.pages import translate

_LINE = re.compile(r"(?:([0-9]{4}-[0-9]{2}-[0-9]{2})\s+)?([0-9]{1,2}):([0-9]{2})\s+(\S.*)")
BAD_LINE = N_(
    "Start each line of the timeline with a time (HH:MM), or a date and a time "
    "(YYYY-MM-DD HH:MM), then what happened."
)
BAD_DATE = N_("Enter a date as YYYY-MM-DD.")
MESSAGES = {
    "secondary_harm": N_("Choose one of the options."),
    "publication": N_("Choose one of the options."),
    "discovered_on": BAD_DATE,
    "prompt_reported_on": BAD_DATE,
    "final_reported_on": BAD_DATE,
    "timeline": BAD_LINE,
    "persons": N_("Enter the number of people as a whole number, 0 or more."),
}


class ReportForm(msgspec.Struct):
    """The report form as the browser sends it (``malicious``: ``yes`` when ticked)."""

    base_version: FormId = "0"
    reason: FreeText = ""
    summary: FreeText = ""
    timeline: FreeText = ""
    response: FreeText = ""
    cause: FreeText = ""
    prevention: FreeText = ""
    follow_up: FreeText = ""
    leaked_items: FreeText = ""
    persons: FormId = ""
    secondary_harm: FormChoice = ""
    persons_response: FreeText = ""
    publication: FormChoice = ""
    malicious: FormChoice = ""
    discovered_on: FormDate = ""
    prompt_reported_on: FormDate = ""
    final_reported_on: FormDate = ""


def timeline_text(entries: list[TimelineEntry], day: dt.date) -> str:
    """The 経緯 as the form shows it: a line each, the date only where it is not ``day``."""
    lines = []
    for entry in entries:
        at = entry.at.astimezone(JST)
        when = at.strftime("%H:%M") if at.date() == day else at.strftime("%Y-%m-%d %H:%M")
        lines.append(f"{when} {entry.text}")
    return "\n".join(lines)


def _timeline(text: str, day: dt.date) -> list[TimelineEntry]:
    """The typed 経緯 (JST), a moment per non-empty line.

    Raises:
        ValueError: A line without a time first.
    """
    entries = []
    for raw in text.splitlines():
        line = unicodedata.normalize("NFKC", raw).strip()
        if not line:
            continue
        found = _LINE.fullmatch(line)
        if found is None:
            raise ValueError(line)
        date_text, hour, minute, what = found.groups()
        on = dt.date.fromisoformat(date_text) if date_text else day
        at = dt.datetime.combine(on, dt.time(int(hour), int(minute)), JST)
        entries.append(TimelineEntry(at=at, text=what.strip()))
    return entries


def _persons(text: str) -> int | None:
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise ValueError(text)
    return int(text)


def read_report(
    request: Any, form: ReportForm, uid: str, day: dt.date
) -> tuple[SubmitReport | None, dict[str, str]]:
    """The form as a submission of incident ``uid``'s report (``day``: the incident's date
    in JST, for timeline lines without a date), or the errors by field."""
    known: dict[str, Any] = {
        "uid": uid,
        "base_version": int(form.base_version) if form.base_version.isdigit() else -1,
        "malicious": form.malicious == "yes",
        "timeline": [],
        "persons": None,
    }
    problems: dict[str, str] = {}
    try:
        known["timeline"] = _timeline(form.timeline, day)
    except ValueError:
        problems["timeline"] = translate(request, MESSAGES["timeline"])
    try:
        known["persons"] = _persons(form.persons)
    except ValueError:
        problems["persons"] = translate(request, MESSAGES["persons"])
    payload, errors = read_form(request, form, SubmitReport, MESSAGES, **known)
    if problems or errors:
        return None, {**errors, **problems}
    return payload, {}
