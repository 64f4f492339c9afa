"""和暦 at the boundaries documents meet: the change of era and the first year."""

from __future__ import annotations

import datetime as dt

import pytest

from server.common.era import wareki


@pytest.mark.parametrize(
    ("day", "written"),
    [
        (dt.date(2026, 12, 3), "令和8年12月3日(木)"),
        (dt.date(2019, 5, 1), "令和元年5月1日(水)"),
        (dt.date(2019, 4, 30), "平成31年4月30日(火)"),
        (dt.date(2020, 1, 1), "令和2年1月1日(水)"),
        (dt.date(1989, 1, 8), "平成元年1月8日(日)"),
    ],
)
def test_a_day_in_the_japanese_calendar(day: dt.date, written: str) -> None:
    """The era, its year (元年 for the first), month, day and weekday."""
    assert wareki(day) == written


def test_a_day_before_heisei_is_refused() -> None:
    """昭和 is not a date any document of the contract carries: refused, not guessed."""
    with pytest.raises(ValueError, match="1989-01-07"):
        wareki(dt.date(1989, 1, 7))
