"""A month of field data for the report benchmarks, written in bulk straight into the
database (:class:`bench.data.Writer`), as the app would have written it over the month.

Sites (the fixed ones, then outreach venues added as rows) each hold a work session every
day (the offices two, morning and afternoon), closed and staffed by a crew of the day;
increments are ``headcount.add`` ops (an audit entry and a headcount row each, the chain
kept whole) in the sessions' slots and their group's active categories, summed into
``headcount_cell`` as the app keeps them; a few incidents fall on the sites' days.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bench import data
from server.common.clock import JST
from server.incidents.schemas import CATEGORY_LABELS, SEVERITY_LABELS
from server.reports.service import month_after, month_before
from server.sites.schemas import site_group

CHUNK = 50_000  # increments written per transaction
# A site's sessions of a day: (JST start hour, hours) each.
HOURS = {"office": ((9, 4), (13, 4))}
OTHER_HOURS = ((10, 6),)
WEIGHT = {"office": 2.0, "branch": 2.0}  # a session's share of the counts (venues 1)
OPERATORS = {"office": 3}  # operators in a site's crew of the day (else 2) and one in charge
POOL = {"business_manager": 35, "operator": 95}  # every crew of a day, up to 35 sites
INCIDENTS_PER_SITE = 3  # in the month (the month before gets one a site)
VENUE_COLUMNS = (
    "code",
    "name_ja",
    "name_en",
    "address",
    "kind",
    "venue_kind",
    "venue_service",
    "notes",
    "fixed",
    "active",
    "created_at",
)
STAFF_COLUMNS = ("display_name", "role", "active", "user_handle", "created_at")
ASSIGN_COLUMNS = ("work_session", "staff", "duty")
INCIDENT_COLUMNS = (
    "uid",
    "site",
    "work_session",
    "category",
    "severity",
    "occurred_at",
    "description",
    "immediate_action",
    "reported_to_city_at",
    "recurrence_prevention",
    "status",
    "version",
    "created_by",
    "created_at",
    "updated_at",
)


@dataclass
class Session:
    """One work session to write: where, when, its crew (the person in charge first) and
    how many increments it gets."""

    site: int
    group: str
    day: dt.date
    start: dt.datetime
    end: dt.datetime
    slots: int
    crew: list[int]
    share: float = 1.0
    count: int = 0
    id: int = 0


@dataclass
class Month:
    """What was built: the month, its sizes, and the busiest site-day (for the journal)."""

    month: dt.date
    sites: int
    sessions: int = 0
    increments: int = 0  # in the month itself
    previous_increments: int = 0
    cells: int = 0
    incidents: int = 0
    busy_site: int = 0
    busy_day: dt.date = dt.date.min
    busy_count: int = 0
    seconds: float = 0.0
    by_day: dict[tuple[int, dt.date], int] = field(default_factory=dict)


async def _sites(writer: data.Writer, count: int, now: dt.datetime) -> list[tuple[int, str, str]]:
    """``count`` sites (id, kind, category group): fixed ones, then venues added (one at
    least, so a venue's block is drawn), every third one a support venue."""
    venues = max(1, count - 5) if count > 1 else 0
    rows = [
        (
            f"bench-venue-{i}",
            f"ベンチ会場{i}",
            f"Bench venue {i}",
            "西宮市",
            "outreach_venue",
            "community_hall",
            "support" if i % 3 == 2 else "reception",
            "",
            False,
            True,
            now,
        )
        for i in range(venues)
    ]
    if rows:
        await writer.rows("site", VENUE_COLUMNS, rows)
    found = await writer.fetch("SELECT id, kind, venue_service, fixed FROM site ORDER BY id")
    fixed = [r for r in found if r[3]][: count - venues]
    added = [r for r in found if not r[3]][-venues:] if venues else []
    return [(int(r[0]), str(r[1]), site_group(str(r[1]), str(r[2]))) for r in fixed + added]


async def _staff(writer: data.Writer, now: dt.datetime) -> dict[str, list[int]]:
    """A pool of people by role, who make up the crews."""
    rows = [
        (f"ベンチ {role} {i}", role, True, f"bench-{role}-{i}", now)
        for role, size in POOL.items()
        for i in range(size)
    ]
    await writer.rows("staff", STAFF_COLUMNS, rows)
    found = await writer.fetch(
        "SELECT id, role FROM staff WHERE user_handle LIKE 'bench-%' ORDER BY id"
    )
    pool: dict[str, list[int]] = {role: [] for role in POOL}
    for staff_id, role in found:
        pool[str(role)].append(int(staff_id))
    return pool


def _plan(
    month: dt.date,
    sites: list[tuple[int, str, str]],
    pool: dict[str, list[int]],
    increments: int,
    slot_minutes: int,
    rng: random.Random,
) -> list[Session]:
    """Every site's sessions on every day of ``month``, with crews and shares of
    ``increments`` (by the site's kind, ±30% a session)."""
    sessions: list[Session] = []
    step = dt.timedelta(minutes=slot_minutes)
    day = month
    while day < month_after(month):
        in_charge = rng.sample(pool["business_manager"], len(sites))
        operators = rng.sample(pool["operator"], sum(OPERATORS.get(k, 2) for _, k, _ in sites))
        for index, (site, kind, group) in enumerate(sites):
            crew = [in_charge[index], *(operators.pop() for _ in range(OPERATORS.get(kind, 2)))]
            for hour, hours in HOURS.get(kind, OTHER_HOURS):
                start = dt.datetime.combine(day, dt.time(hour), JST).astimezone(dt.UTC)
                slots = hours * 60 // slot_minutes
                share = WEIGHT.get(kind, 1.0) * rng.uniform(0.7, 1.3)
                sessions.append(
                    Session(site, group, day, start, start + slots * step, slots, crew, share)
                )
        day += dt.timedelta(days=1)
    shares = sum(s.share for s in sessions)
    for session in sessions:
        session.count = round(increments * session.share / shares)
    return sessions


async def _write_sessions(writer: data.Writer, sessions: list[Session], manager: int) -> None:
    """The sessions (closed, as run), and who worked each."""
    now = dt.datetime.now(dt.UTC)
    rows = [
        (s.site, s.day, s.start, s.end, "closed", s.start, s.end, "", 1, manager, now)
        for s in sessions
    ]
    for session, new_id in zip(sessions, await writer.session_rows(rows), strict=True):
        session.id = new_id
    duties = [
        (s.id, person, "in_charge" if i == 0 else "operator")
        for s in sessions
        for i, person in enumerate(s.crew)
    ]
    await writer.rows("work_session_staff", ASSIGN_COLUMNS, duties)


async def _write_counts(
    writer: data.Writer,
    sessions: list[Session],
    categories: dict[str, list[str]],
    slot_minutes: int,
    rng: random.Random,
) -> None:
    """Each session's increments, +1 a tap at random moments of its slots, in time order
    within the session, by its crew's operators from the site's tablet."""
    slot_s = slot_minutes * 60
    devices: dict[int, str] = {}
    entries: list[tuple[Any, ...]] = []
    headcounts: list[tuple[Any, ...]] = []
    for session in sessions:
        device = devices.setdefault(session.site, str(uuid.uuid4()))
        codes, operators = categories[session.group], session.crew[1:]
        target, day = f"work_session:{session.id}", session.day.isoformat()
        moments = sorted(rng.randrange(session.slots * slot_s) for _ in range(session.count))
        for second in moments:
            when = session.start + dt.timedelta(seconds=second)
            slot = session.start + dt.timedelta(seconds=second - second % slot_s)
            op_id, actor = str(uuid.uuid4()), rng.choice(operators)
            detail = f'{{"day":"{day}","op_id":"{op_id}"}}'  # json.dumps, sort_keys
            entries.append((when, actor, device, "headcount.add", target, detail))
            headcounts.append((session.id, slot, rng.choice(codes), 1, device, actor, op_id, when))
        if len(entries) >= CHUNK:
            await writer.append(entries, headcounts)
            entries, headcounts = [], []
    if entries:
        await writer.append(entries, headcounts)


def _incidents(
    sessions: list[Session], per_site: int, busy: Session | None, manager: int, rng: random.Random
) -> list[tuple[Any, ...]]:
    """``per_site`` incidents at each site on its sessions' days (two more on the busy
    site-day), of every category and severity; serious ones reported to the city."""
    by_site: dict[int, list[Session]] = {}
    for session in sessions:
        by_site.setdefault(session.site, []).append(session)
    chosen = [s for at_site in by_site.values() for s in rng.sample(at_site, per_site)]
    chosen += [busy, busy] if busy else []
    rows = []
    for i, session in enumerate(chosen):
        when = session.start + rng.random() * (session.end - session.start)
        severity = list(SEVERITY_LABELS)[i % len(SEVERITY_LABELS)]
        serious = severity in ("high", "critical")
        rows.append(
            (
                str(uuid.uuid4()),
                session.site,
                session.id,
                list(CATEGORY_LABELS)[i % len(CATEGORY_LABELS)],
                severity,
                when,
                f"ベンチマーク用の事象 {i}: 窓口で待ち時間について申し出があった。",
                "責任者が説明し、了承を得た。",
                when + dt.timedelta(minutes=20) if serious else None,
                "受付手順を見直し、朝礼で共有した。" if serious else "",
                "closed" if serious else ("resolved" if i % 2 else "open"),
                2 if serious else 1,
                manager,
                when,
                when + dt.timedelta(hours=1),
            )
        )
    return rows


async def _planned_venues(
    writer: data.Writer, sites: list[tuple[int, str, str]], following: dt.date, manager: int
) -> None:
    """Two sessions planned at each venue in the month after (the report lists them)."""
    now = dt.datetime.now(dt.UTC)
    rows = []
    for index, (site, kind, _) in enumerate(sites):
        for day in (following + dt.timedelta(days=index % 7 + w * 7) for w in (1, 2)):
            if kind == "outreach_venue":
                start = dt.datetime.combine(day, dt.time(10), JST).astimezone(dt.UTC)
                end = start + dt.timedelta(hours=6)
                rows.append((site, day, start, end, "planned", None, None, "", 1, manager, now))
    if rows:
        await writer.session_rows(rows)


def _busiest(sessions: list[Session], built: Month) -> Session:
    """Note the month's counts by site-day and its busiest one; its first session."""
    for s in sessions:
        built.by_day[(s.site, s.day)] = built.by_day.get((s.site, s.day), 0) + s.count
    (built.busy_site, built.busy_day), built.busy_count = max(
        built.by_day.items(), key=lambda item: item[1]
    )
    built.sessions = len(sessions)
    built.increments = sum(s.count for s in sessions)
    return next(s for s in sessions if (s.site, s.day) == (built.busy_site, built.busy_day))


async def build(
    made: data.Field,
    month: dt.date,
    sizes: tuple[int, int, int],
    rng: random.Random,
) -> Month:
    """``month`` with its counts at its sites, ``sizes`` being (sites, increments in
    ``month``, increments in the month before: the report's comparison), written in bulk;
    the database settled after."""
    began = time.perf_counter()
    sites, increments, previous = sizes
    slot_minutes = made.settings.field.slot_minutes
    now = dt.datetime.now(dt.UTC)
    built = Month(month=month, sites=sites)
    async with data.Writer(made) as writer:
        chosen = await _sites(writer, sites, now)
        pool = await _staff(writer, now)
        categories: dict[str, list[str]] = {}
        for group, code in await writer.fetch(
            "SELECT site_group, code FROM headcount_category WHERE active ORDER BY sort_order, id"
        ):
            categories.setdefault(str(group), []).append(str(code))
        incidents = []
        for first, count in ((month_before(month), previous), (month, increments)):
            sessions = _plan(first, chosen, pool, count, slot_minutes, rng)
            await _write_sessions(writer, sessions, made.manager)
            await _write_counts(writer, sessions, categories, slot_minutes, rng)
            await writer.cells([s.id for s in sessions])
            if first == month:
                busy = _busiest(sessions, built)
                incidents += _incidents(sessions, INCIDENTS_PER_SITE, busy, made.manager, rng)
            else:
                built.previous_increments = sum(s.count for s in sessions)
                incidents += _incidents(sessions, 1, None, made.manager, rng)
        await _planned_venues(writer, chosen, month_after(month), made.manager)
        await writer.rows("incident", INCIDENT_COLUMNS, incidents)
        built.incidents = len(incidents)
        ((cells,),) = await writer.fetch("SELECT COUNT(*) FROM headcount_cell")
        built.cells = int(cells)
        await writer.settle()
    built.seconds = time.perf_counter() - began
    return built
