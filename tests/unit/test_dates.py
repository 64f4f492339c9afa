"""Dates as people read them: 2026年12月3日(木) in Japanese, Thu 3 Dec 2026 in English, in
Japan time whatever the stored offset."""

from __future__ import annotations

import datetime as dt

from server.common.dates import long_date, long_moment, short_date


def test_a_date_reads_with_its_weekday() -> None:
    """The issue's own example, a Sunday and the year's turn, in both languages."""
    assert long_date(dt.date(2026, 12, 3), "ja") == "2026年12月3日(木)"
    assert long_date(dt.date(2026, 12, 3), "en") == "Thu 3 Dec 2026"
    assert long_date(dt.date(2027, 1, 3), "ja") == "2027年1月3日(日)"
    assert short_date(dt.date(2026, 12, 28), "ja") == "12月28日(月)"
    assert short_date(dt.date(2026, 12, 28), "en") == "Mon 28 Dec"


def test_a_moment_is_shown_in_japan_time() -> None:
    """15:30 UTC on 31 March is 00:30 JST on 1 April: the JST date is shown, not UTC's;
    a naive value is UTC as the database stores it; text that is not a time stays."""
    utc = dt.datetime(2025, 3, 31, 15, 30, tzinfo=dt.UTC)
    assert long_moment(utc, "ja") == "2025年4月1日(火) 00:30"
    assert long_moment(utc, "en") == "Tue 1 Apr 2025, 00:30"
    assert long_moment(dt.datetime(2025, 3, 31, 15, 30), "ja") == "2025年4月1日(火) 00:30"
    assert long_moment("2025-03-31T15:30:00+00:00", "ja") == "2025年4月1日(火) 00:30"
    assert long_moment("not a time", "ja") == "not a time"
    assert long_moment(None, "ja") == ""
