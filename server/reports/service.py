"""The monthly performance report (実績報告書) compiled from the records: nobody types a
figure twice.

A month's report covers the work sessions dated in it (JST). Its counts are the sums of
those sessions' increments, each on its slot's Japan day; a slot past midnight of a
session dated on the month's last day still counts in that month, on its last day. A
session is held once started (any status but planned). Only reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from server import db
from server.common.clock import JST
from server.headcounts import service as headcounts
from server.headcounts.schemas import Category
from server.incidents import service as incidents
from server.reports import store
from server.reports.schemas import APPLICATIONS, Block, Figures, MonthlyReport, PlannedVenue
from server.sites import service as sites
from server.sites.schemas import SiteOut

Cells = dict[tuple[dt.date, str], int]
MAX_INCIDENTS = 100_000  # a month's incidents are a handful; never cut them short


def month_after(month: dt.date) -> dt.date:
    """The first day of the month after ``month``'s."""
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_before(month: dt.date) -> dt.date:
    """The first day of the month before ``month``'s."""
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _moment(value: Any) -> dt.datetime:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def _minutes(row: dict[str, Any]) -> int:
    """How long a session ran: as started and finished, or as planned where it was not."""
    start = _moment(row["actual_start"] or row["planned_start"])
    end = _moment(row["actual_end"] or row["planned_end"])
    return max(0, round((end - start).total_seconds() / 60))


def _figures(
    rows: Iterable[dict[str, Any]], counts: dict[str, int], outreach: bool, incidents: int
) -> Figures:
    """A site's figures from its sessions' rows and its counts per category."""
    held = [r for r in rows if r["status"] != "planned"]
    minutes = [_minutes(r) for r in held]
    applications = sum(n for code, n in counts.items() if code.startswith(APPLICATIONS))
    return Figures(
        sessions=len(held),
        minutes=sum(minutes),
        staff_minutes=sum(m * int(r["people"]) for m, r in zip(minutes, held, strict=True)),
        events=len(held) if outreach else 0,
        event_minutes=sum(minutes) if outreach else 0,
        applications=applications if outreach else 0,
        headcount=sum(counts.values()),
        incidents=incidents,
    )


def _add(into: dict[Any, int], key: Any, n: int) -> None:
    into[key] = into.get(key, 0) + n


def _merge(
    blocks: list[Block],
    *,
    site: SiteOut | None = None,
    group: str | None = None,
    categories: list[Category] | None = None,
) -> Block:
    """One block summing ``blocks``."""
    now, before = Figures(), Figures()
    by_category: dict[str, int] = {}
    before_by_category: dict[str, int] = {}
    cells: dict[tuple[dt.date, str], int] = {}
    by_day: dict[dt.date, int] = {}
    for block in blocks:
        now, before = now + block.now, before + block.before
        for into, part in (
            (by_category, block.by_category),
            (before_by_category, block.before_by_category),
            (cells, block.cells),
            (by_day, block.by_day),
        ):
            for key, n in part.items():
                _add(into, key, n)
    return Block(
        site=site,
        group=group,
        categories=categories or [],
        now=now,
        before=before,
        by_category=by_category,
        before_by_category=before_by_category,
        cells=cells,
        by_day=by_day,
    )


def _shown(categories: list[Category], *counted: dict[str, int]) -> list[Category]:
    """Active categories, and retired ones where the months counted them."""
    return [c for c in categories if c.active or any(part.get(c.code) for part in counted)]


def _split_counts(
    rows: list[dict[str, Any]], month: dt.date, last: dt.date
) -> tuple[dict[int, Cells], dict[int, dict[str, int]]]:
    """Counts per site: this month's per (day, category), the previous month's per category.
    A day outside the month (a late session's slot past midnight) is kept on its edge."""
    cells: dict[int, Cells] = {}
    earlier: dict[int, dict[str, int]] = {}
    for row in rows:
        site_id, code, n = int(row["site"]), str(row["category"]), int(row["n"])
        if int(row["this_month"]):
            day = min(max(_date(row["day"]), month), last)
            _add(cells.setdefault(site_id, {}), (day, code), n)
        else:
            _add(earlier.setdefault(site_id, {}), code, n)
    return cells, earlier


def _split_sessions(
    rows: list[dict[str, Any]], known: dict[int, SiteOut], following: dt.date
) -> tuple[dict[tuple[int, dt.date], list[dict[str, Any]]], list[PlannedVenue]]:
    """Session rows per (site, first day of their month), and those of the month
    ``following`` at outreach venues, in time order."""
    by_month: dict[tuple[int, dt.date], list[dict[str, Any]]] = {}
    planned: list[PlannedVenue] = []
    for row in rows:
        site_id, work_date = int(row["site"]), _date(row["work_date"])
        by_month.setdefault((site_id, work_date.replace(day=1)), []).append(row)
        if work_date >= following and known[site_id].kind == "outreach_venue":
            planned.append(
                PlannedVenue(
                    work_session_id=int(row["id"]),
                    site=known[site_id],
                    work_date=work_date,
                    planned_start=_moment(row["planned_start"]),
                    planned_end=_moment(row["planned_end"]),
                )
            )
    return by_month, sorted(planned, key=lambda p: (p.planned_start, p.site.id))


def _site_block(
    site: SiteOut,
    cells: Cells,
    before_by_category: dict[str, int],
    sessions: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    incidents: tuple[int, int],
    categories: list[Category],
) -> Block:
    """A site's block from its counts, its sessions and incident counts (this month's,
    then the previous month's) and its group's categories."""
    by_category: dict[str, int] = {}
    by_day: dict[dt.date, int] = {}
    for (day, code), n in cells.items():
        _add(by_category, code, n)
        _add(by_day, day, n)
    outreach = site.kind == "outreach_venue"
    return Block(
        site=site,
        group=site.counted_as,
        categories=_shown(categories, by_category, before_by_category),
        now=_figures(sessions[0], by_category, outreach, incidents[0]),
        before=_figures(sessions[1], before_by_category, outreach, incidents[1]),
        by_category=by_category,
        before_by_category=before_by_category,
        cells=cells,
        by_day=by_day,
    )


async def monthly(
    month: dt.date, site_id: int | None, *, now: dt.datetime, report_minutes: int
) -> MonthlyReport:
    """The report of ``month`` (its first day) for ``site_id``, or all sites when None."""
    month = month.replace(day=1)
    previous, following = month_before(month), month_after(month)
    last = following - dt.timedelta(days=1)
    known = {s.id: s for s in await sites.list_sites(include_retired=True)}
    async with db.reading():
        count_rows = await store.counts(previous, month, following, site_id)
        session_rows = await store.sessions(previous, month_after(following), site_id)
        found = await incidents.search(
            site_id=site_id,
            date_from=previous,
            date_to=last,
            now=now,
            report_minutes=report_minutes,
            limit=MAX_INCIDENTS,
        )
        groups = {
            g: await headcounts.categories(g, include_inactive=True) for g in headcounts.GROUPS
        }
    cells, earlier = _split_counts(count_rows, month, last)
    sessions_by, planned = _split_sessions(session_rows, known, following)
    starts = dt.datetime.combine(month, dt.time(), JST)
    this_month = sorted((i for i in found if i.occurred_at >= starts), key=lambda i: i.occurred_at)
    incident_count: dict[tuple[int, bool], int] = {}
    for incident in found:
        _add(incident_count, (incident.site_id, incident.occurred_at >= starts), 1)

    active = {key[0] for key in sessions_by} | set(cells) | set(earlier)
    active |= {i.site_id for i in found}
    if site_id is not None:
        chosen = [known[site_id]] if site_id in known else []
    else:
        chosen = [s for s in known.values() if s.fixed or s.id in active]
    blocks = [
        _site_block(
            site,
            cells.get(site.id, {}),
            earlier.get(site.id, {}),
            (sessions_by.get((site.id, month), []), sessions_by.get((site.id, previous), [])),
            (incident_count.get((site.id, True), 0), incident_count.get((site.id, False), 0)),
            groups[site.counted_as],
        )
        for site in chosen
    ]
    group_blocks = []
    for group, categories in groups.items():
        members = [b for b in blocks if b.group == group]
        if site_id is None and members:
            merged = _merge(members, group=group)
            shown = _shown(categories, merged.by_category, merged.before_by_category)
            group_blocks.append(_merge(members, group=group, categories=shown))
    incident_counts: dict[tuple[str, str], int] = {}
    for incident in this_month:
        _add(incident_counts, (incident.category, incident.severity), 1)
    return MonthlyReport(
        month=month,
        previous=previous,
        site_id=site_id,
        days=[month + dt.timedelta(days=i) for i in range((following - month).days)],
        whole=_merge(blocks, site=blocks[0].site if site_id is not None and blocks else None),
        groups=group_blocks,
        sites=blocks,
        incidents=this_month,
        incident_counts=incident_counts,
        planned=planned,
    )
