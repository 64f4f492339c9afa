"""The report's charts as SVG drawn on the server: no chart script, and readable printed
in black and white (the previous month hatched, this month solid, every bar labelled
with its figure)."""

from __future__ import annotations

import datetime as dt
import itertools

from markupsafe import Markup, escape

from server.reports.schemas import Block

_ids = itertools.count(1)
FONT = 'font-family="sans-serif"'
INK = "#222"


def _open(width: int, height: int, title: str, testid: str) -> tuple[str, str, str]:
    """A fresh id for the page, the SVG's opening tag and its title (``role="img"``
    named by its title)."""
    ident = f"chart-{next(_ids)}"
    tag = (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}" data-testid="{escape(testid)}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    )
    return ident, tag, f'<title id="{ident}">{escape(title)}</title>'


def daily_totals(
    days: list[dt.date], by_day: dict[dt.date, int], title: str, testid: str = "chart-daily"
) -> Markup:
    """A bar per day of the month, its total above it and the day's number below."""
    step, left, top, plot = 22, 36, 20, 150
    width, height = left + step * len(days) + 8, top + plot + 30
    most = max([*by_day.values(), 1])
    parts = list(_open(width, height, title, testid)[1:])
    parts.append(
        f'<line x1="{left}" y1="{top + plot}" x2="{width - 4}" y2="{top + plot}" '
        f'stroke="{INK}" stroke-width="1"/>'
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="10" {FONT} '
        f'fill="{INK}">{most}</text>'
        f'<text x="{left - 4}" y="{top + plot}" text-anchor="end" font-size="10" {FONT} '
        f'fill="{INK}">0</text>'
    )
    for i, day in enumerate(days):
        n = by_day.get(day, 0)
        x = left + i * step + 3
        tall = round(plot * n / most, 1)
        if n:
            parts.append(
                f'<rect x="{x}" y="{top + plot - tall}" width="{step - 6}" height="{tall}" '
                f'fill="{INK}"><title>{day.isoformat()}: {n}</title></rect>'
                f'<text x="{x + (step - 6) / 2}" y="{top + plot - tall - 3}" '
                f'text-anchor="middle" font-size="8" {FONT} fill="{INK}">{n}</text>'
            )
        weekend = ' font-weight="bold"' if day.weekday() >= 5 else ""
        parts.append(
            f'<text x="{x + (step - 6) / 2}" y="{top + plot + 14}" text-anchor="middle" '
            f'font-size="10" {FONT} fill="{INK}"{weekend}>{day.day}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped


def month_over_month(
    rows: list[tuple[str, int, int]],
    title: str,
    legend: tuple[str, str],
    testid: str = "chart-months",
) -> Markup:
    """Two bars per row (label, this month, previous month): this month solid, the
    previous one hatched, each with its figure at its end; ``legend`` names the two."""
    label_width, bar_width, row_height, top = 230, 400, 30, 34
    width, height = label_width + bar_width + 60, top + row_height * len(rows) + 6
    most = max([n for _, now, before in rows for n in (now, before)] + [1])
    ident, tag, named = _open(width, height, title, testid)
    hatch = f"{ident}-hatch"
    parts = [
        tag,
        named,
        f'<defs><pattern id="{hatch}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="{INK}" '
        f'stroke-width="2"/></pattern></defs>',
    ]
    for i, (text, fill) in enumerate(zip(legend, (INK, f"url(#{hatch})"), strict=True)):
        x = label_width + i * 180
        parts.append(
            f'<rect x="{x}" y="6" width="18" height="12" fill="{fill}" stroke="{INK}"/>'
            f'<text x="{x + 24}" y="16" font-size="11" {FONT} fill="{INK}">{escape(text)}</text>'
        )
    for i, (label, now, before) in enumerate(rows):
        y = top + i * row_height
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" font-size="11" '
            f'{FONT} fill="{INK}">{escape(label)}</text>'
        )
        for j, (n, fill) in enumerate(((now, INK), (before, f"url(#{hatch})"))):
            long = round(bar_width * n / most, 1)
            bar_y = y + 2 + j * 12
            parts.append(
                f'<rect x="{label_width}" y="{bar_y}" width="{max(long, 0.5)}" height="11" '
                f'fill="{fill}" stroke="{INK}" stroke-width="0.5"/>'
                f'<text x="{label_width + long + 4}" y="{bar_y + 9}" font-size="10" {FONT} '
                f'fill="{INK}">{n}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped


def categories(
    block: Block, language: str, title: str, legend: tuple[str, str], testid: str
) -> Markup:
    """:func:`month_over_month` of a block's categories, labelled in ``language``."""
    rows = [
        (
            c.label(language),
            block.by_category.get(c.code, 0),
            block.before_by_category.get(c.code, 0),
        )
        for c in block.categories
    ]
    return month_over_month(rows, title, legend, testid)
