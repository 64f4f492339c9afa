"""Dates and times as people read them, always in Japan time: ``2026年12月3日(木) 14:05``
in Japanese, ``Thu 3 Dec 2026, 14:05`` in English. Inputs and data keep ISO forms."""

from __future__ import annotations

import datetime as dt

from server.common.parsing import in_jst

WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def long_date(day: dt.date, language: str) -> str:
    """``2026年12月3日(木)``, or ``Thu 3 Dec 2026`` in English."""
    if language == "en":
        return f"{WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日({WEEKDAYS_JA[day.weekday()]})"


def short_date(day: dt.date, language: str) -> str:
    """``12月3日(木)``, or ``Thu 3 Dec``: where the year goes without saying."""
    if language == "en":
        return f"{WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]}"
    return f"{day.month}月{day.day}日({WEEKDAYS_JA[day.weekday()]})"


def long_moment(moment: dt.datetime | str | None, language: str) -> str:
    """A moment in JST with its long date, ``2026年12月3日(木) 14:05``; an ISO string is
    read first, other text kept as it is; empty for None."""
    if isinstance(moment, str):
        try:
            moment = dt.datetime.fromisoformat(moment)
        except ValueError:
            return str(moment)
    if moment is None:
        return ""
    local = in_jst(moment)
    separator = ", " if language == "en" else " "
    return f"{long_date(local.date(), language)}{separator}{local:%H:%M}"
