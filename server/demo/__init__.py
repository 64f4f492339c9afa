"""Realistic demo data for ``madoguchi demo``: a month of field work. Rerunning is safe.

Everything goes through the one write path (``apply_op``), as real use would; the people
are made directly (they have no passkeys: invite one with ``madoguchi invite`` to sign in).
"""

from __future__ import annotations

import datetime as dt
import uuid

from server import db
from server.common.clock import JST
from server.demo import records
from server.demo.data import DEMO_HOURS, DEMO_VENUES, PEOPLE
from server.demo.month import Month, Slot
from server.settings import Settings
from server.sites import service as sites
from server.sites.schemas import SiteOut
from server.staff import service as staff_service
from server.staff.tables import Staff

MAX_LOOK_BACK = 90  # days


async def load_demo(
    settings: Settings, *, days: int = 30, seed: int = 2026, today: dt.date | None = None
) -> dict[str, int]:
    """Add the demo data that is not there yet.

    Args:
        settings: Field settings (slot length) for the ops.
        days: How many of the counters' opening days up to today get work sessions.
        seed: Random seed, so two runs on empty databases give the same month.
        today: The last day (JST today when omitted).

    Returns:
        Counts of what was added.
    """
    added = dict.fromkeys(("venues", "sessions", "taps", "incidents", "journals", "checks"), 0)
    venues = await _venues(added)
    if await Staff.exists().where(Staff.user_handle.like("demo-%")):
        return added  # the month is already there
    month = Month(await _people(), venues, settings.field, seed, added)
    today = today or dt.datetime.now(JST).date()
    counters = [s for s in await sites.list_sites() if s.fixed and s.active]
    opening = await _opening_days(counters, today, days)
    month.schedule(opening, today)
    for day in opening:
        # アクタ opens at weekends and on holidays; every counter closes at the year's end.
        open_today = [Slot(s, *hours) for s in counters if (hours := await _open_hours(s, day))]
        await month.day(day, month.plan(day, open_today), today)
    site_days = sorted(set(month.worked), key=lambda key: (key[1], key[0]))
    added["journals"] = await records.journals(
        site_days, month.people, settings.field, month.notes, month.returned
    )
    return added


async def _venues(added: dict[str, int]) -> list[SiteOut]:
    """The demo's outreach venues, each added unless its code is there already."""
    found = []
    for code, name_ja, name_en, address, kind, service in DEMO_VENUES:
        try:
            site = await sites.add_outreach_venue(
                code=code,
                name_ja=name_ja,
                name_en=name_en,
                address=address,
                venue_kind=kind,
                venue_service=service,
            )
            added["venues"] += 1
        except sites.SiteCodeTaken:
            site = next(s for s in await sites.list_sites() if s.code == code)
        found.append(site)
    return found


async def _people() -> dict[str, list[int]]:
    by_role: dict[str, list[int]] = {}
    async with db.writing():
        for name, role in PEOPLE:
            staff_id = await staff_service.create_staff(
                display_name=name, role=role, user_handle=f"demo-{uuid.uuid4().hex}"
            )
            by_role.setdefault(role, []).append(staff_id)
    return by_role


async def _opening_days(fixed: list[SiteOut], today: dt.date, days: int) -> list[dt.date]:
    """The last ``days`` days up to ``today`` on which a counter opens, oldest first (the
    year's end and its closed days are passed over)."""
    found: list[dt.date] = []
    day = today
    while len(found) < days and (today - day).days < MAX_LOOK_BACK:
        if any([await _open_hours(site, day) for site in fixed]):
            found.append(day)
        day -= dt.timedelta(days=1)
    return found[::-1]


async def _open_hours(site: SiteOut, day: dt.date) -> tuple[dt.time, dt.time] | None:
    """A fixed site's demo window on ``day``: 9:00–17:00 within its opening hours, or None
    when its calendar has it closed."""
    opened = await sites.opening_of(site, day)
    if not opened.is_open:
        return None
    if opened.hours is None:
        return DEMO_HOURS
    return max(DEMO_HOURS[0], opened.hours.opens), min(DEMO_HOURS[1], opened.hours.closes)
