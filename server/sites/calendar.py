"""A site's opening calendar: which days it is open, and its hours. Pure: rules in, answer out.

Fixed counters open weekdays 9:00–17:30 and close on Japanese public holidays (振替休日
included, from the ``holidays`` package) and from 29 December to 3 January; a site's own
weekly hours and dated exceptions (kept in the database) change that. Outreach venues have
no calendar: a venue is open whenever a session is planned there.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Final, Literal

import msgspec
from holidays.countries.japan import Japan

from server.common.clock import JST

HOLIDAY: Final = 7
"""The weekly-hours key of Japanese public holidays, after Monday (0) … Sunday (6)."""
WEEK_KEYS: Final = tuple(range(8))
OPEN_DAY: Final = (dt.time(9, 0), dt.time(17, 30))
Why = Literal["weekly", "holiday", "year_end", "exception", "no_calendar"]


class Hours(msgspec.Struct, frozen=True):
    """Opening and closing times of a day (JST)."""

    opens: dt.time
    closes: dt.time

    def text(self) -> str:
        """``09:00–17:30``."""
        return f"{self.opens:%H:%M}–{self.closes:%H:%M}"


class DayRule(msgspec.Struct, frozen=True, kw_only=True):
    """One date that differs from the week: closed, or open (with ``hours``, or for the
    hours its sessions are planned for when ``hours`` is None)."""

    is_open: bool
    hours: Hours | None = None
    note: str = ""


class Rules(msgspec.Struct, frozen=True, kw_only=True):
    """A site's calendar: hours by weekday key (``None``: closed) and dated exceptions."""

    weekly: dict[int, Hours | None]
    dates: dict[dt.date, DayRule] = {}


class Opening(msgspec.Struct, frozen=True, kw_only=True):
    """Whether a site is open on ``day`` and when; ``hours`` None while open means any hours.

    ``why``: the rule that decided (its week, a public holiday, the year-end closure, an
    exception, or no calendar at all); ``holiday``: the holiday's name in Japanese.
    """

    day: dt.date
    is_open: bool
    hours: Hours | None = None
    why: Why = "weekly"
    holiday: str = ""
    note: str = ""


def default_week(kind: str) -> dict[int, Hours | None] | None:
    """The weekly hours a kind of site has by default; None for outreach venues."""
    if kind == "outreach_venue":
        return None
    weekday = Hours(*OPEN_DAY)
    return {key: weekday if key < 5 else None for key in WEEK_KEYS}


def make_rules(
    kind: str,
    stored: dict[int, Hours | None] | None = None,
    dates: dict[dt.date, DayRule] | None = None,
) -> Rules | None:
    """A site's rules: its kind's week with its ``stored`` weekly hours over it, and its
    dated exceptions; None for a site without a calendar (an outreach venue)."""
    week = default_week(kind)
    if week is None:
        return None
    return Rules(weekly={**week, **(stored or {})}, dates=dict(dates or {}))


@functools.cache
def _holidays(year: int) -> dict[dt.date, str]:
    return dict(Japan(years=year, language="ja"))


def holiday_name(day: dt.date) -> str:
    """The Japanese public holiday ``day`` is (``振替休日`` for a substitute), or empty."""
    return _holidays(day.year).get(day, "")


def is_year_end(day: dt.date) -> bool:
    """Whether ``day`` falls in the year-end closure, 29 December to 3 January."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def opening(rules: Rules | None, day: dt.date) -> Opening:
    """Whether the site with ``rules`` is open on ``day``, and its hours.

    A dated exception wins; then the year-end closure; then a public holiday's hours
    (:data:`HOLIDAY`); then the weekday's.
    """
    holiday = holiday_name(day)
    if rules is None:
        return Opening(day=day, is_open=True, why="no_calendar", holiday=holiday)
    rule = rules.dates.get(day)
    if rule is not None:
        return Opening(
            day=day,
            is_open=rule.is_open,
            hours=rule.hours if rule.is_open else None,
            why="exception",
            holiday=holiday,
            note=rule.note,
        )
    if is_year_end(day):
        return Opening(day=day, is_open=False, why="year_end", holiday=holiday)
    hours = rules.weekly.get(HOLIDAY if holiday else day.weekday())
    why: Why = "holiday" if holiday else "weekly"
    return Opening(day=day, is_open=hours is not None, hours=hours, why=why, holiday=holiday)


def within(opened: Opening, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether a window (aware moments) lies inside the day's opening hours (JST)."""
    if not opened.is_open:
        return False
    if opened.hours is None:
        return True
    day_open = dt.datetime.combine(opened.day, opened.hours.opens, JST)
    day_close = dt.datetime.combine(opened.day, opened.hours.closes, JST)
    return day_open <= start and end <= day_close
