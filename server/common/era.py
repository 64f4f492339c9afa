"""Dates in the Japanese calendar (和暦), as the city's documents write them: 令和8年12月3日(木).

One small function rather than a library: only the eras a document of this contract can
meet (平成 and 令和), and the first year of an era is 元年.
"""

from __future__ import annotations

import datetime as dt

WEEKDAYS = "月火水木金土日"
# (first day, name), newest first.
ERAS: tuple[tuple[dt.date, str], ...] = (
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
)


def wareki(day: dt.date) -> str:
    """``day`` in the Japanese calendar with its weekday, e.g. ``令和元年5月1日(水)``.

    Raises:
        ValueError: A day before 平成 (no document of the contract is dated there).
    """
    for start, name in ERAS:
        if day >= start:
            year = day.year - start.year + 1
            number = "元" if year == 1 else str(year)
            return f"{name}{number}年{day.month}月{day.day}日({WEEKDAYS[day.weekday()]})"
    raise ValueError(f"before 平成: {day.isoformat()}")
