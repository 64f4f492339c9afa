"""The day a work session may start on, at the edges of the Japanese day (issue 18, point 1)."""

from __future__ import annotations

import datetime as dt

import pytest

from server.common.clock import JST
from server.work_sessions.schemas import WorkSessionOut
from server.work_sessions.transitions import on_work_date
from tests.support.field import city_hall_session


def session() -> WorkSessionOut:
    """A session planned for 2026-12-03, 10:00–16:00 JST."""
    return city_hall_session(
        dt.datetime(2026, 12, 3, 10, tzinfo=JST),
        dt.datetime(2026, 12, 3, 16, tzinfo=JST),
        status="planned",
        version=1,
    )


@pytest.mark.parametrize(
    ("at", "now", "expected"),
    [
        # 00:00 JST on the day is still 12/02 in UTC: the day is Japan's.
        (dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC), None, True),
        (dt.datetime(2026, 12, 2, 14, 59, tzinfo=dt.UTC), None, False),
        (dt.datetime(2026, 12, 3, 23, 59, tzinfo=JST), None, True),
        (dt.datetime(2026, 12, 4, 0, 0, tzinfo=JST), None, False),
        # Made on the day, sent the next morning: taken.
        (dt.datetime(2026, 12, 3, 10, tzinfo=JST), dt.datetime(2026, 12, 4, 9, tzinfo=JST), True),
        # Said to be made on the day while the server's day is still the one before: refused.
        (dt.datetime(2026, 12, 3, 10, tzinfo=JST), dt.datetime(2026, 12, 2, 23, tzinfo=JST), False),
    ],
)
def test_a_start_counts_on_the_work_date_in_japan(
    at: dt.datetime, now: dt.datetime | None, expected: bool
) -> None:
    """``at`` is on the work date in JST, a date the server's clock has reached."""
    assert on_work_date(session(), at, now or at) is expected
