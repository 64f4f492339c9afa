"""Values people type into forms and query strings, parsed once, and moments shown in JST.

Forms send text: a row id from a select, a date input's ``YYYY-MM-DD``, a time input's
``HH:MM`` (full-width digits from a Japanese keyboard are read as digits). A parser raises
``ValueError`` for a value it cannot read, for the page to explain beside the field. Times
are entered and shown in Japan time; the database keeps UTC.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Final

from server.common.clock import JST
from server.common.text import INT32_MAX

_CLOCK: Final = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::[0-9]{2})?")


def parse_id(text: str) -> int:
    """A row id: ASCII digits for a whole number from 1 to 2^31-1 (what id columns hold).

    Raises:
        ValueError: Empty, not digits, or out of range.
    """
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) < 12):
        raise ValueError(text)
    number = int(text)
    if not 1 <= number <= INT32_MAX:
        raise ValueError(text)
    return number


def parse_date(text: str) -> dt.date:
    """A date typed as ``YYYY-MM-DD``.

    Raises:
        ValueError: Empty or malformed.
    """
    return dt.date.fromisoformat(text.strip())


def parse_clock(text: str) -> dt.time:
    """A time of day typed as ``H:MM`` or ``HH:MM`` (seconds, if sent, are dropped).

    Raises:
        ValueError: Empty, malformed or out of range ("5pm", "25:00").
    """
    found = _CLOCK.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if found is None:
        raise ValueError(text)
    return dt.time(int(found.group(1)), int(found.group(2)))


def at_jst(day: dt.date, clock: dt.time) -> dt.datetime:
    """The moment a JST date and time name."""
    return dt.datetime.combine(day, clock, JST)


def today_jst() -> dt.date:
    """Today's date in Japan."""
    return dt.datetime.now(JST).date()


def in_jst(moment: dt.datetime) -> dt.datetime:
    """``moment`` in JST (a naive value is UTC, as the database stores it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(JST)


def hhmm(moment: dt.datetime | None) -> str:
    """``moment`` as ``HH:MM`` in JST, or empty."""
    return "" if moment is None else in_jst(moment).strftime("%H:%M")


def date_and_time(moment: dt.datetime | None) -> tuple[str, str]:
    """Values for a date input and an ``HH:MM`` time input, in JST (empty for None)."""
    if moment is None:
        return "", ""
    local = in_jst(moment)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M")


def show_time(value: dt.datetime | str | None) -> str:
    """A moment as pages show it, ``2025-04-01 09:30`` in JST; text that is not an ISO time
    as it is; empty for None."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    return "" if value is None else in_jst(value).strftime("%Y-%m-%d %H:%M")
