"""The journal as tables for its files: a workbook of sheets (summary, counts, counts by
slot, staff, incidents), and the counts by slot alone as its CSV. Labels are in the
page's language; numbers stay numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request

from server.common.era import wareki
from server.common.exports import Row
from server.common.parsing import hhmm
from server.journal.schemas import Frozen, JournalDay
from server.messages import N_
from server.web.pages import translate

Sheet = tuple[str, list[Row]]


def tables(request: Request[Any, Any, Any], context: dict[str, Any]) -> list[Sheet]:
    """The sheets of the journal in ``context`` (as :mod:`server.journal.routes` builds it)."""
    _ = lambda message: translate(request, message)  # noqa: E731 - a short local alias
    day: JournalDay = context["journal"]
    figures: Frozen = context["figures"]
    record = context["record"]
    lang = context.get("lang", "ja")
    labels = [c.label(lang) for c in day.categories]
    cells = figures.cell_map()
    by_slot = figures.by_slot()
    summary: list[Row] = [
        [_(N_("Item")), _(N_("Content"))],
        [_(N_("Site")), day.site.name(lang)],
        [_(N_("Date")), f"{wareki(day.day)} ({day.day.isoformat()})"],
        [
            _(N_("Status")),
            _(STATUS.get(record.status, N_("Not submitted")) if record else N_("Not submitted")),
        ],
        [_(N_("Version")), record.version if record else 0],
        [_(N_("Special notes")), record.notes if record else ""],
        [_(N_("Handover")), record.handover if record else ""],
    ]
    counts: list[Row] = [[_(N_("Category")), _(N_("Counts"))]]
    counts += [[c.label(lang), figures.by_category.get(c.code, 0)] for c in day.categories]
    counts.append([_(N_("Total")), figures.total])
    slots: list[Row] = [[_(N_("Time slot")), *labels, _(N_("Total"))]]
    for slot in context["slots"]:
        row = [cells.get((slot, c.code), 0) for c in day.categories]
        slots.append([hhmm(slot), *row, by_slot.get(slot, 0)])
    totals = [figures.by_category.get(c.code, 0) for c in day.categories]
    slots.append([_(N_("Total")), *totals, figures.total])
    staff: list[Row] = [
        [
            _(N_("Name")),
            _(N_("Role")),
            _(N_("From (JST)")),
            _(N_("To (JST)")),
            _(N_("Minutes worked")),
        ]
    ]
    roles = context["role_labels"]
    staff += [
        [p.display_name, _(roles.get(p.role, p.role)), hhmm(p.start), hhmm(p.end), p.minutes]
        for p in figures.on_duty
    ]
    kinds = context["incident_labels"]
    severities = context["severity_labels"]
    incidents: list[Row] = [
        [_(N_("Time")), _(N_("Category")), _(N_("Severity")), _(N_("What happened"))]
    ]
    incidents += [
        [hhmm(i.occurred_at), _(kinds[i.category]), _(severities[i.severity]), i.description]
        for i in (*day.faults, *day.complaints, *day.incidents)
    ]
    checks = _checks_rows(day, _, lang)
    return [
        (_(N_("Summary")), summary),
        (_(N_("By time slot")), slots),
        (_(N_("Counts")), counts),
        (_(N_("Staff on duty")), staff),
        (_(N_("Incidents")), incidents),
        (_(N_("Checks")), checks),
    ]


def _checks_rows(day: JournalDay, _: Callable[[str], str], lang: str) -> list[Row]:
    """Per session and phase: the lines done and not done, and the card stock with its
    reconciliation (empty cells where nothing was counted)."""
    rows: list[Row] = [
        [
            _(N_("Work session")),
            _(N_("Phase")),
            _(N_("Done")),
            _(N_("Not done")),
            _(N_("At the start")),
            _(N_("Received")),
            _(N_("Issued")),
            _(N_("Spoiled")),
            _(N_("Expected at the end")),
            _(N_("Counted at the end")),
            _(N_("Reconciles")),
        ]
    ]
    named = day.check_lines

    def names(codes: list[str]) -> str:
        return "、".join(named[c].label(lang) if c in named else c for c in codes)

    for session in day.sessions:
        checks = day.checks.get(session.id)
        if checks is None:
            continue
        hours = f"{hhmm(session.planned_start)}–{hhmm(session.planned_end)}"
        for phase, record in (
            (N_("Opening checks"), checks.opening),
            (N_("Closing checks"), checks.closing),
        ):
            if record is not None:
                rows.append([hours, _(phase), names(record.done), names(record.missing)])
        stock = checks.stock
        if stock is not None:
            figures = [stock.start, stock.received, stock.issued, stock.spoiled]
            rows.append(
                [
                    hours,
                    _(N_("Card stock")),
                    "",
                    "",
                    *figures,
                    stock.expected,
                    stock.end,
                    _(N_("Yes")) if stock.reconciles else _(N_("No")),
                ]
            )
    return rows


STATUS = {
    "submitted": N_("Submitted"),
    "returned": N_("Returned"),
    "acknowledged": N_("Acknowledged"),
}
