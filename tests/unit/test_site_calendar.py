"""The opening calendar at its boundaries: the year's end, public holidays and their 振替休日,
weekends at アクタ西宮ステーション, hours to the minute; and the past-date rule at JST midnight."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from server.common.clock import JST
from server.common.errors import OpRejected
from server.ops.context import Actor, ApplyContext
from server.settings import Settings
from server.sites import calendar
from server.sites.calendar import DayRule, Hours
from server.work_sessions.planning import check_not_past

WEEKDAY_HOURS = Hours(dt.time(9), dt.time(17, 30))
WEEKEND_HOURS = Hours(dt.time(9), dt.time(16))
# What migration m0013 stores for アクタ西宮ステーション: weekends and holidays 9:00–16:00.


def rules(kind: str, stored: dict[int, Hours | None] | None = None) -> calendar.Rules:
    """A fixed site's rules."""
    made = calendar.make_rules(kind, stored)
    assert made is not None
    return made


ACTA = rules("office", {calendar.HOLIDAY: WEEKEND_HOURS, 5: WEEKEND_HOURS, 6: WEEKEND_HOURS})
COUNTER = rules("office")
BRANCH = rules("branch")


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A JST moment on ``day``."""
    return dt.datetime.combine(day, dt.time(hour, minute), JST)


@pytest.mark.parametrize(
    ("day", "is_open"),
    [
        (dt.date(2023, 12, 28), True),  # Thursday: the last day open
        (dt.date(2023, 12, 29), False),  # Friday: the closure's first day
        (dt.date(2024, 1, 3), False),  # Wednesday: its last day
        (dt.date(2024, 1, 4), True),  # Thursday: open again
    ],
)
def test_year_end_closure_at_a_weekday_counter(day: dt.date, is_open: bool) -> None:
    """Closed 29 December to 3 January, both included, on days that are weekdays."""
    assert day.weekday() < 5
    opened = calendar.opening(COUNTER, day)
    assert opened.is_open is is_open
    assert opened.hours == (WEEKDAY_HOURS if is_open else None)
    assert opened.why == ("weekly" if is_open else "year_end")


def test_year_end_closes_acta_on_its_weekend_too() -> None:
    """ACTA's weekend hours do not open it on 3 January 2027, a Sunday."""
    assert dt.date(2027, 1, 3).weekday() == 6
    assert not calendar.opening(ACTA, dt.date(2027, 1, 3)).is_open
    assert calendar.opening(ACTA, dt.date(2027, 1, 9)).hours == WEEKEND_HOURS  # a Saturday


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (dt.date(2026, 5, 5), "こどもの日"),  # a public holiday on a Tuesday
        (dt.date(2026, 5, 6), "振替休日"),  # Wednesday: for 憲法記念日 on Sunday 3 May
    ],
)
def test_holiday_and_its_substitute(day: dt.date, name: str) -> None:
    """A public holiday and its 振替休日 close a weekday counter and open ACTA 9:00–16:00."""
    assert day.weekday() < 5
    assert calendar.holiday_name(day) == name
    for rules in (COUNTER, BRANCH):
        closed = calendar.opening(rules, day)
        assert (closed.is_open, closed.why, closed.holiday) == (False, "holiday", name)
    opened = calendar.opening(ACTA, day)
    assert (opened.is_open, opened.hours, opened.why) == (True, WEEKEND_HOURS, "holiday")


def test_the_day_after_a_substitute_holiday_is_ordinary() -> None:
    """7 May 2026 is a Thursday like any other."""
    assert calendar.holiday_name(dt.date(2026, 5, 7)) == ""
    assert calendar.opening(COUNTER, dt.date(2026, 5, 7)).hours == WEEKDAY_HOURS


def test_saturday_open_at_acta_closed_at_other_counters() -> None:
    """Saturday 5 December 2026: ACTA 9:00–16:00; the other counters closed."""
    saturday = dt.date(2026, 12, 5)
    acta = calendar.opening(ACTA, saturday)
    assert (acta.is_open, acta.hours) == (True, WEEKEND_HOURS)
    for rules in (COUNTER, BRANCH):
        assert not calendar.opening(rules, saturday).is_open
    assert calendar.opening(ACTA, dt.date(2026, 12, 4)).hours == WEEKDAY_HOURS  # Friday


def test_outreach_venues_have_no_calendar() -> None:
    """A venue is open whenever a session is planned there, at any hour."""
    rules = calendar.make_rules("outreach_venue")
    assert rules is None
    opened = calendar.opening(rules, dt.date(2026, 1, 1))
    assert (opened.is_open, opened.why) == (True, "no_calendar")
    assert calendar.within(opened, at(opened.day, 6), at(opened.day, 22))


def test_an_exception_wins_over_the_week_and_the_year_end() -> None:
    """A date opened for an event (even in the closure) or closed on a weekday."""
    event = DayRule(is_open=True, hours=Hours(dt.time(10), dt.time(15)), note="休日開庁")
    closed = DayRule(is_open=False, note="停電")
    rules = calendar.Rules(
        weekly=COUNTER.weekly,
        dates={dt.date(2026, 12, 29): event, dt.date(2026, 12, 4): closed},
    )
    assert calendar.opening(rules, dt.date(2026, 12, 29)).hours == event.hours
    assert calendar.opening(rules, dt.date(2026, 12, 29)).why == "exception"
    assert not calendar.opening(rules, dt.date(2026, 12, 4)).is_open
    any_hours = calendar.Rules(weekly={}, dates={dt.date(2026, 12, 5): DayRule(is_open=True)})
    opened = calendar.opening(any_hours, dt.date(2026, 12, 5))
    assert opened.is_open and calendar.within(opened, at(opened.day, 0), at(opened.day, 23))


@pytest.mark.parametrize(
    ("start", "end", "fits"),
    [
        ((9, 0), (17, 30), True),  # exactly the opening hours
        ((8, 59), (12, 0), False),  # a minute early
        ((13, 0), (17, 31), False),  # a minute late
        ((17, 0), (17, 30), True),
    ],
)
def test_hours_to_the_minute(start: tuple[int, int], end: tuple[int, int], fits: bool) -> None:
    """A window fits when it starts at or after opening and ends at or before closing."""
    day = dt.date(2026, 12, 3)
    opened = calendar.opening(COUNTER, day)
    assert calendar.within(opened, at(day, *start), at(day, *end)) is fits


def test_a_window_past_midnight_does_not_fit() -> None:
    """Ending on the next day is outside any day's hours."""
    day = dt.date(2026, 12, 3)
    opened = calendar.opening(COUNTER, day)
    assert not calendar.within(opened, at(day, 16), at(day, 16) + dt.timedelta(hours=9))


def test_a_past_day_is_refused_from_jst_midnight() -> None:
    """At 00:00 JST on 4 December (15:00 UTC on the 3rd) the 3rd has passed; the 4th has not."""
    context = ApplyContext(
        actor=Actor(staff_id=1, role="overall_manager"),
        field=Settings.from_env({}).field,
        now=dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC),
    )
    check_not_past(dt.date(2026, 12, 4), context)
    with pytest.raises(OpRejected) as refused:
        check_not_past(dt.date(2026, 12, 3), context)
    assert (refused.value.code, refused.value.field) == ("date_past", "work_date")
    assert refused.value.params == {"day": "2026-12-03"}
    a_minute_before = dt.datetime(2026, 12, 3, 14, 59, tzinfo=dt.UTC)
    check_not_past(dt.date(2026, 12, 3), msgspec.structs.replace(context, now=a_minute_before))
