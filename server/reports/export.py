"""The monthly report as files for the city: CSV in UTF-8 with a BOM and CRLF line ends,
which Excel in Japan opens as it is, and a workbook (:func:`monthly_sheets`).

Layout, one header row then one row per site and category:
履行場所, 区分, 種別コード, 種別, 当月計, 前月計, 増減, 増減率(%), then a column per day of
the month (``2026-11-01`` …) with that day's count. Each site's categories are followed
by its 合計 row (種別コード empty). For all sites, each category group follows as すべての履行場所
(its categories summed over its sites, then its 合計), and a last すべての履行場所 合計 row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from server.common.exports import Row, csv_bytes
from server.common.labels import SITE_GROUP_LABELS
from server.messages import N_
from server.reports.schemas import Block, Figures, MonthlyReport, change

HEADER = (
    N_("Site"),
    N_("Category group"),
    N_("Category code"),
    N_("Category"),
    N_("This month"),
    N_("Previous month"),
    N_("Difference"),
    N_("Change (%)"),
)
TOTAL = N_("Total")
EVERYTHING = N_("All sites")


def _row(
    where: str,
    group: str,
    code: str,
    label: str,
    now: int,
    before: int,
    day_counts: list[int],
) -> list[Any]:
    difference, percent = change(now, before)
    return [
        where,
        group,
        code,
        label,
        now,
        before,
        int(difference),
        "" if percent is None else percent,
        *day_counts,
    ]


def _block_rows(
    report: MonthlyReport, block: Block, where: str, gettext: Callable[[str], str]
) -> Iterator[list[Any]]:
    """A block's rows: its categories, then its total."""
    group = gettext(SITE_GROUP_LABELS[block.group]) if block.group else ""
    for category in block.categories:
        yield _row(
            where,
            group,
            category.code,
            category.label_ja,
            block.by_category.get(category.code, 0),
            block.before_by_category.get(category.code, 0),
            [block.cells.get((day, category.code), 0) for day in report.days],
        )
    yield _row(
        where,
        group,
        "",
        gettext(TOTAL),
        block.now.headcount,
        block.before.headcount,
        [block.by_day.get(day, 0) for day in report.days],
    )


def monthly_csv(report: MonthlyReport, gettext: Callable[[str], str]) -> bytes:
    """The report as CSV bytes (layout above), labels through ``gettext`` (the Japanese
    catalog's: the file is for the city) and sites and categories by their Japanese names."""
    rows: list[Row] = [[*(gettext(h) for h in HEADER), *(d.isoformat() for d in report.days)]]
    for block in report.sites:
        where = block.site.name_ja if block.site else ""
        rows.extend(_block_rows(report, block, where, gettext))
    if report.site_id is None:
        everything = gettext(EVERYTHING)
        for block in report.groups:
            rows.extend(_block_rows(report, block, everything, gettext))
        whole = report.whole
        rows.append(
            _row(
                everything,
                "",
                "",
                gettext(TOTAL),
                whole.now.headcount,
                whole.before.headcount,
                [whole.by_day.get(day, 0) for day in report.days],
            )
        )
    return csv_bytes(rows)


SHEET_HEADER = (
    N_("Category group"),
    N_("Category code"),
    N_("Item"),
    N_("This month"),
    N_("Previous month"),
    N_("Difference"),
    N_("Change (%)"),
)
# The page's figures, after the counts; the outreach ones only where events were held.
FIGURES = (
    ("sessions", N_("Work sessions held")),
    ("hours", N_("Hours open")),
    ("staff_hours", N_("Staff-hours")),
    ("events", N_("Outreach events held")),
    ("applications", N_("Applications taken at outreach events")),
    ("per_event", N_("Applications per event")),
    ("per_hour", N_("Applications per hour")),
    ("incidents", N_("Incidents")),
)
OUTREACH = {"events", "applications", "per_event", "per_hour"}


def _figure(figures: Figures, key: str) -> int | float | None:
    """A figure as the page shows it: hours in hours, ratios as floats, None for no ratio."""
    if key == "hours":
        return round(figures.minutes / 60, 2)
    if key == "staff_hours":
        return round(figures.staff_minutes / 60, 2)
    if key in ("per_event", "per_hour"):
        value: float | None = getattr(figures, key)
        return None if value is None else round(value, 2)
    number: int = getattr(figures, key)
    return number


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


def _figure_rows(block: Block, gettext: Callable[[str], str]) -> Iterator[Row]:
    """The block's figures (sessions, hours …) compared with the previous month; no day
    columns. A ratio has no difference."""
    outreach = bool(block.now.events or block.before.events)
    for key, label in FIGURES:
        if key in OUTREACH and not outreach:
            continue
        now, before = _figure(block.now, key), _figure(block.before, key)
        difference: int | float | None = None
        percent: float | None = None
        if key not in ("per_event", "per_hour") and now is not None and before is not None:
            raw, percent = change(now, before)
            difference = _number(raw)
        yield [None, None, gettext(label), now, before, difference, percent]


def _sheet_row(row: list[Any]) -> Row:
    """A CSV row for a sheet: without the site (the sheet says it) and with empty cells
    rather than empty text."""
    return [None if cell == "" else cell for cell in row[1:]]


def monthly_sheets(
    report: MonthlyReport, gettext: Callable[[str], str]
) -> list[tuple[str, list[Row]]]:
    """The report as sheets for :func:`server.common.exports.xlsx_bytes`: the total first,
    then one per site. Each has the header, a row per category with a column per day,
    the total, then the figures; every figure a number cell (labels as in the CSV)."""
    header = [*(gettext(h) for h in SHEET_HEADER), *(d.isoformat() for d in report.days)]
    whole = report.whole
    total: list[Row] = [header]
    # All sites: each group's categories and subtotal; one site: its categories.
    for block in report.groups if report.site_id is None else report.sites:
        rows = [_sheet_row(row) for row in _block_rows(report, block, "", gettext)]
        total += rows if report.site_id is None else rows[:-1]
    by_day = [whole.by_day.get(day, 0) for day in report.days]
    now, before = whole.now.headcount, whole.before.headcount
    total.append(_sheet_row(_row("", "", "", gettext(TOTAL), now, before, by_day)))
    total += _figure_rows(whole, gettext)
    sheets = [(gettext(TOTAL), total)]
    for block in report.sites:
        rows = [header, *(_sheet_row(row) for row in _block_rows(report, block, "", gettext))]
        rows += _figure_rows(block, gettext)
        sheets.append((block.site.name_ja if block.site else "", rows))
    return sheets
