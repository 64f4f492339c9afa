"""Today at a glance for managers, compiled from the records at each refresh.

Only reads, through each domain's service: the sessions of today (JST) with the sums of
their counts per site, and the problems a manager should act on while the day runs.
"""

from __future__ import annotations

import datetime as dt

from server.common.clock import JST
from server.dashboard.schemas import Dashboard, Problems, QuietDevice, SiteToday
from server.headcounts import service as headcounts
from server.headcounts.schemas import Category
from server.incidents import service as incidents
from server.reconciliation import review
from server.settings import FieldSettings
from server.sites import service as sites
from server.sites.schemas import SiteOut
from server.sync import devices
from server.work_sessions import service as work_sessions
from server.work_sessions.schemas import WorkSessionOut

# A city runs a few dozen sessions a day; the cap only keeps a runaway day from
# slowing every manager's refresh.
SESSIONS_OF_A_DAY = 1000
REVIEW_SHOWN = 5
# Tablets push only when something changed: an hour of silence during an open session
# is worth a look (a tablet off or offline), a few quiet minutes are not.
QUIET_AFTER = dt.timedelta(hours=1)


async def today(*, now: dt.datetime, field: FieldSettings) -> Dashboard:
    """The dashboard as the records stand at ``now`` (an aware moment)."""
    day = now.astimezone(JST).date()
    sessions = sorted(
        await work_sessions.search(date_from=day, date_to=day, limit=SESSIONS_OF_A_DAY),
        key=lambda s: (s.planned_start, s.id),
    )
    by_site: dict[int, list[WorkSessionOut]] = {}
    for session in sessions:
        by_site.setdefault(session.site_id, []).append(session)
    known = await sites.get_many(list(by_site))
    cells = await headcounts.cells([s.id for s in sessions])
    groups: dict[str, list[Category]] = {}
    found = []
    for site_id in sorted(by_site):
        site = known[site_id]
        merged: dict[tuple[dt.datetime, str], int] = {}
        for session in by_site[site_id]:
            for key, n in cells[session.id].items():
                merged[key] = merged.get(key, 0) + n
        sums = headcounts.summarize(merged)
        if site.counted_as not in groups:
            groups[site.counted_as] = await headcounts.categories(
                site.counted_as, include_inactive=True
            )
        counted = [(c, sums.by_category.get(c.code, 0)) for c in groups[site.counted_as]]
        found.append(
            SiteToday(
                site=site,
                sessions=by_site[site_id],
                counted=[(c, n) for c, n in counted if n],
                total=sums.total,
            )
        )
    open_now = {site_id for site_id, day_sessions in by_site.items() if _any_open(day_sessions)}
    return Dashboard(
        day=day,
        at=now,
        sites=found,
        total=sum(s.total for s in found),
        problems=await _problems(now, day, sessions, {k: known[k] for k in open_now}, field),
    )


def _any_open(sessions: list[WorkSessionOut]) -> bool:
    return any(s.status == "open" for s in sessions)


async def _problems(
    now: dt.datetime,
    day: dt.date,
    sessions: list[WorkSessionOut],
    open_sites: dict[int, SiteOut],
    field: FieldSettings,
) -> Problems:
    items, review_total = await review.list_open(field)
    day_incidents = await incidents.search(
        now=now, report_minutes=field.incident_report_minutes, date_from=day, date_to=day
    )
    return Problems(
        review=items[::-1][:REVIEW_SHOWN],
        review_total=review_total,
        incidents=[i for i in day_incidents if i.status == "open" or i.overdue],
        late=[s for s in sessions if s.status == "planned" and s.planned_start <= now],
        quiet=await _quiet_devices(now, day, open_sites),
    )


async def _quiet_devices(
    now: dt.datetime, day: dt.date, open_sites: dict[int, SiteOut]
) -> list[QuietDevice]:
    """Live tablets of sites open now that sent something today, but nothing lately."""
    quiet = []
    for device in await devices.list_devices():
        seen = device.last_seen_at
        site = open_sites.get(device.site_id or 0)
        if device.revoked_at is not None or site is None or seen is None:
            continue
        if seen.astimezone(JST).date() == day and now - seen > QUIET_AFTER:
            quiet.append(QuietDevice(label=device.label, site=site, last_seen_at=seen))
    return sorted(quiet, key=lambda d: d.last_seen_at)
