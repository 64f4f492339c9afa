"""The opening calendars kept in the database: a site's rules read for
:mod:`server.sites.calendar`, and the ops that change them (weekly hours, dated exceptions).

Only fixed sites have a calendar; times are kept as minutes after midnight (JST).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec

from server.common.errors import OpRejected
from server.messages import N_
from server.ops.apply import check_free_text
from server.ops.context import Applied, ApplyContext
from server.sites import calendar, ops
from server.sites.calendar import DayRule, Hours, Opening, Rules
from server.sites.schemas import SiteOut
from server.sites.tables import Site, SiteDay, SiteHours

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
MAX_NOTE = 200
NO_CALENDAR = OpRejected(
    "no_calendar",
    N_("Outreach venues have no opening calendar: they are open when a session is planned."),
    field="site_id",
)


def _minutes(clock: dt.time) -> int:
    return clock.hour * 60 + clock.minute


def _clock(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def _hours(opens: int | None, closes: int | None) -> Hours | None:
    return None if opens is None or closes is None else Hours(_clock(opens), _clock(closes))


async def rules_of_many(
    sites: Iterable[SiteOut], start: dt.date, end: dt.date
) -> dict[int, Rules | None]:
    """The calendar rules of ``sites`` with their exceptions from ``start`` to ``end``."""
    kinds = {site.id: site.kind for site in sites}
    fixed = [site_id for site_id, kind in kinds.items() if kind != "outreach_venue"]
    weekly: dict[int, dict[int, Hours | None]] = {site_id: {} for site_id in fixed}
    dates: dict[int, dict[dt.date, DayRule]] = {site_id: {} for site_id in fixed}
    if fixed:
        for row in await SiteHours.select().where(SiteHours.site.is_in(fixed)):
            weekly[row["site"]][row["weekday"]] = _hours(row["opens"], row["closes"])
        found = await SiteDay.select().where(
            SiteDay.site.is_in(fixed) & (SiteDay.day >= start) & (SiteDay.day <= end)
        )
        for row in found:
            dates[row["site"]][row["day"]] = DayRule(
                is_open=row["is_open"], hours=_hours(row["opens"], row["closes"]), note=row["note"]
            )
    return {
        site_id: calendar.make_rules(kind, weekly.get(site_id), dates.get(site_id))
        for site_id, kind in kinds.items()
    }


async def rules_of(site: SiteOut, start: dt.date, end: dt.date) -> Rules | None:
    """One site's rules (see :func:`rules_of_many`)."""
    return (await rules_of_many([site], start, end))[site.id]


async def opening_of(site: SiteOut, day: dt.date) -> Opening:
    """Whether ``site`` is open on ``day``, and its hours."""
    return calendar.opening(await rules_of(site, day, day), day)


async def exceptions_of(site: SiteOut, start: dt.date) -> list[tuple[dt.date, DayRule]]:
    """A site's dated exceptions from ``start`` on, by date."""
    rules = await rules_of(site, start, LAST_DAY)
    return sorted(rules.dates.items()) if rules else []


def _check_hours(opens: dt.time | None, closes: dt.time | None, field: str) -> Hours | None:
    if opens is None and closes is None:
        return None
    if opens is None or closes is None:
        raise OpRejected(
            "hours_incomplete",
            N_("Enter both the opening and the closing time, or neither."),
            field=field,
        )
    if closes <= opens:
        raise OpRejected(
            "hours_invalid", N_("The closing time must be after the opening time."), field=field
        )
    return Hours(opens, closes)


async def _fixed_site(site_id: int) -> SiteOut:
    row = await Site.select().where(Site._meta.primary_key == site_id).first()
    if row is None or not row["active"]:
        raise OpRejected("site_unknown", N_("No such site."), field="site_id")
    if row["kind"] == "outreach_venue":
        raise NO_CALENDAR.with_traceback(None)
    return msgspec.convert(row, SiteOut, strict=False)


async def apply_set_hours(payload: ops.SetHours, context: ApplyContext) -> Applied:
    """Apply ``site.set_hours``: each day given replaces the site's hours that day."""
    site = await _fixed_site(payload.site_id)
    keys = [day.weekday for day in payload.days]
    if len(set(keys)) != len(keys):
        raise OpRejected("hours_invalid", N_("Each day of the week at most once."), field="days")
    rows = []
    for day in payload.days:
        hours = _check_hours(day.opens, day.closes, f"opens_{day.weekday}")
        opens, closes = (None, None) if hours is None else (hours.opens, hours.closes)
        rows.append(
            SiteHours(
                site=site.id,
                weekday=day.weekday,
                opens=None if opens is None else _minutes(opens),
                closes=None if closes is None else _minutes(closes),
            )
        )
    await SiteHours.delete().where((SiteHours.site == site.id) & SiteHours.weekday.is_in(keys))
    await SiteHours.insert(*rows)
    return Applied(target=f"site:{site.id}", entity_id=site.id)


async def set_day(site_id: int, day: dt.date, rule: DayRule) -> None:
    """Open or close a site on ``day`` (replacing an earlier exception), inside the caller's
    transaction; the op's rule has checked the values."""
    await SiteDay.delete().where((SiteDay.site == site_id) & (SiteDay.day == day))
    hours = rule.hours
    await SiteDay.insert(
        SiteDay(
            site=site_id,
            day=day,
            is_open=rule.is_open,
            opens=None if hours is None else _minutes(hours.opens),
            closes=None if hours is None else _minutes(hours.closes),
            note=rule.note,
        )
    )


def _check_day(day: dt.date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise OpRejected(
            "time_out_of_range", N_("This time is outside the years 2000 to 2099."), field="day"
        )


async def apply_set_day(payload: ops.SetDay, context: ApplyContext) -> Applied:
    """Apply ``site.set_day``."""
    site = await _fixed_site(payload.site_id)
    _check_day(payload.day)
    note = " ".join(payload.note.split())
    check_free_text("note", note, MAX_NOTE)
    is_open = payload.status == "open"
    hours = _check_hours(payload.opens, payload.closes, "opens") if is_open else None
    await set_day(site.id, payload.day, DayRule(is_open=is_open, hours=hours, note=note))
    return Applied(target=f"site:{site.id}", entity_id=site.id)


async def apply_clear_day(payload: ops.ClearDay, context: ApplyContext) -> Applied:
    """Apply ``site.clear_day``."""
    site = await _fixed_site(payload.site_id)
    _check_day(payload.day)
    where = (SiteDay.site == site.id) & (SiteDay.day == payload.day)
    if not await SiteDay.exists().where(where):
        raise OpRejected(
            "day_unknown", N_("This day has no exception on the calendar."), field="day"
        )
    await SiteDay.delete().where(where)
    return Applied(target=f"site:{site.id}", entity_id=site.id)
