"""The monthly report as files for the city: CSV in UTF-8 with a BOM and CRLF line ends,
which Excel in Japan opens as it is.

Layout, one header row then one row per site and category:
履行場所, 区分, 種別コード, 種別, 当月計, 前月計, 増減, 増減率(%), then a column per day of
the month (``2026-11-01`` …) with that day's count. Each site's categories are followed
by its 合計 row (種別コード empty). For all sites, each category group follows as すべての履行場所
(its categories summed over its sites, then its 合計), and a last すべての履行場所 合計 row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

from server.common.labels import SITE_GROUP_LABELS
from server.messages import N_
from server.reports.schemas import Block, MonthlyReport, change

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
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*(gettext(h) for h in HEADER), *(d.isoformat() for d in report.days)])
    for block in report.sites:
        where = block.site.name_ja if block.site else ""
        writer.writerows(_block_rows(report, block, where, gettext))
    if report.site_id is None:
        everything = gettext(EVERYTHING)
        for block in report.groups:
            writer.writerows(_block_rows(report, block, everything, gettext))
        whole = report.whole
        writer.writerow(
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
    return ("\ufeff" + out.getvalue()).encode("utf-8")
