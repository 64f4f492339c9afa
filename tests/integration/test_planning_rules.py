"""Planning refuses what cannot happen, through real HTTP: a day gone by, a day the site is
closed, times outside its hours, a second session at the same site and time, a venue named
twice; and a manager's edits of a site's opening calendar are audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from holidays.countries.japan import Japan

from server.settings import Settings
from server.sites import calendar
from tests import dbutil
from tests.support.audit_trail import Actors
from tests.support.field import JST
from tests.support.identities import make_staff, sign_in
from tests.support.pages import field_error
from tests.support.sync_api import device, op, push

HONCHO, CALL_CENTER, ACTA = 1, 2, 3


def today() -> dt.date:
    """Today in Japan."""
    return dt.datetime.now(JST).date()


def next_day(test: calendar.Rules | None, wanted: bool, weekday: int | None = None) -> dt.date:
    """The first day after today that a site with ``test`` rules is open (or closed) on,
    on ``weekday`` if given."""
    day = today() + dt.timedelta(days=1)
    while calendar.opening(test, day).is_open != wanted or (
        weekday is not None and day.weekday() != weekday
    ):
        day += dt.timedelta(days=1)
    return day


COUNTER = calendar.make_rules("office")


def next_substitute_holiday() -> dt.date:
    """The next 振替休日 after today."""
    year = today().year
    found: dict[dt.date, str] = dict(Japan(years=range(year, year + 4), language="ja"))
    return min(day for day, name in found.items() if name == "振替休日" and day > today())


def plan_form(site: int, day: dt.date, start: str = "10:00", end: str = "12:00") -> dict[str, str]:
    """The plan form as a manager fills it in."""
    return {
        "site_id": str(site),
        "work_date": day.isoformat(),
        "planned_start": start,
        "planned_end": end,
        "notes": "",
    }


def sessions_at(url: str, site: int) -> int:
    """How many work sessions ``site`` has."""
    return int(dbutil.fetch(url, f"SELECT count(*) FROM work_session WHERE site = {site}")[0][0])


@pytest.fixture
async def manager(client: httpx.AsyncClient, settings: Settings) -> int:
    """A business manager, signed in."""
    staff_id = await make_staff("business_manager")
    await sign_in(client, staff_id, settings)
    return staff_id


async def refused(client: httpx.AsyncClient, form: dict[str, str], field: str) -> str:
    """Post the plan form expecting a refusal beside ``field``; its message."""
    answer = await client.post("/work-sessions", data=form)
    assert answer.status_code == 422, answer.text[-2000:]
    message = field_error(answer.text, field)
    assert message
    return message


async def planned(client: httpx.AsyncClient, form: dict[str, str]) -> int:
    """Post the plan form expecting it to be accepted; the new session's id."""
    answer = await client.post("/work-sessions", data=form)
    assert answer.status_code == 303, answer.text[-2000:]
    return int(answer.headers["location"].rsplit("/", 1)[-1])


async def test_a_past_date_is_refused(
    client: httpx.AsyncClient, manager: int, database_url: str
) -> None:
    """Yesterday is refused with its date named; today is accepted (at a venue, any hour)."""
    venue = await client.post("/sites/venues", data={"name_ja": "市民会館", "venue_kind": "other"})
    site = int(venue.headers["location"].split("#site-")[1])
    yesterday = today() - dt.timedelta(days=1)
    message = await refused(client, plan_form(site, yesterday), "work_date")
    assert yesterday.isoformat() in message and "過ぎています" in message
    assert sessions_at(database_url, site) == 0
    await planned(client, plan_form(site, today(), "00:00", "00:30"))


async def test_a_closed_day_is_refused_with_why(
    client: httpx.AsyncClient, manager: int, database_url: str
) -> None:
    """A Saturday, a 振替休日 and 29 December at a weekday counter are refused, each saying
    why; ACTA opens that Saturday and that holiday 9:00–16:00."""
    saturday = next_day(COUNTER, False, weekday=5)
    answer = await client.post("/work-sessions", data=plan_form(HONCHO, saturday))
    assert answer.status_code == 422
    message = field_error(answer.text, "work_date")
    assert saturday.isoformat() in message and "休業日" in message
    assert f'href="/sites/{HONCHO}/calendar" data-testid="calendar-link"' in answer.text
    substitute = next_substitute_holiday()
    message = await refused(client, plan_form(CALL_CENTER, substitute), "work_date")
    assert substitute.isoformat() in message and "祝日（振替休日）" in message
    year_end = dt.date(today().year, 12, 29)
    year_end = year_end if year_end > today() else year_end.replace(year=year_end.year + 1)
    message = await refused(client, plan_form(CALL_CENTER, year_end), "work_date")
    assert "年末年始" in message
    assert sessions_at(database_url, HONCHO) == sessions_at(database_url, CALL_CENTER) == 0

    await planned(client, plan_form(ACTA, saturday, "09:00", "16:00"))
    await planned(client, plan_form(ACTA, substitute, "09:00", "16:00"))
    late = await refused(client, plan_form(ACTA, saturday, "15:00", "17:00"), "planned_start")
    assert "09:00–16:00" in late


async def test_times_outside_opening_hours_are_refused(
    client: httpx.AsyncClient, manager: int, database_url: str
) -> None:
    """08:59 or 17:31 on a weekday at a counter is refused naming its hours; 9:00–17:30 fits."""
    weekday = next_day(COUNTER, True)
    early = await refused(client, plan_form(HONCHO, weekday, "08:59", "12:00"), "planned_start")
    assert "09:00–17:30" in early and weekday.isoformat() in early
    await refused(client, plan_form(HONCHO, weekday, "13:00", "17:31"), "planned_start")
    assert sessions_at(database_url, HONCHO) == 0
    await planned(client, plan_form(HONCHO, weekday, "09:00", "17:30"))


async def test_an_overlapping_session_at_the_same_site_waits_for_confirmation(
    client: httpx.AsyncClient, manager: int, database_url: str
) -> None:
    """10:00–12:00 is planned; 11:00–13:00 there is refused naming the other's times, and
    the form then offers the box that confirms it; ticked, it is planned. 12:00–13:00
    (touching) and 11:00–13:00 at another site need no confirmation."""
    weekday = next_day(COUNTER, True)
    await planned(client, plan_form(HONCHO, weekday, "10:00", "12:00"))
    clash = plan_form(HONCHO, weekday, "11:00", "13:00")
    answer = await client.post("/work-sessions", data=clash)
    assert answer.status_code == 422
    message = field_error(answer.text, "allow_overlap")
    assert "10:00–12:00" in message and "重なる" in message
    assert 'name="allow_overlap" value="yes" data-testid="allow-overlap"' in answer.text
    assert sessions_at(database_url, HONCHO) == 1
    await planned(client, plan_form(HONCHO, weekday, "12:00", "13:00"))
    await planned(client, plan_form(CALL_CENTER, weekday, "11:00", "13:00"))
    await planned(client, clash | {"allow_overlap": "yes"})
    assert sessions_at(database_url, HONCHO) == 3


async def test_a_synced_plan_meets_the_same_rules(
    client: httpx.AsyncClient, manager: int, database_url: str
) -> None:
    """A plan op pushed from a tablet for a closed day is refused with the same reason."""
    saturday = next_day(COUNTER, False, weekday=5)
    start = dt.datetime.combine(saturday, dt.time(10), JST)
    payload = {
        "site_id": HONCHO,
        "work_date": saturday.isoformat(),
        "planned_start": start.isoformat(),
        "planned_end": (start + dt.timedelta(hours=2)).isoformat(),
    }
    answer = await push(client, await device(client), [op(1, "work_session.plan", payload)])
    (result,) = answer["results"]
    assert (result["status"], result["code"]) == ("rejected", "site_closed"), result
    assert sessions_at(database_url, HONCHO) == 0


async def test_a_venue_name_is_refused_twice(
    client: httpx.AsyncClient, manager: int, database_url: str
) -> None:
    """Names are compared trimmed, NFKC and case-folded, against every active site."""
    first = {"name_ja": "ＡＢＣホール 西宮", "venue_kind": "community_hall"}
    assert (await client.post("/sites/venues", data=first)).status_code == 303
    count = "SELECT count(*) FROM site"
    before = dbutil.fetch(database_url, count)[0][0]
    for name in ("  abcホール　西宮 ", "ABCﾎｰﾙ 西宮", "本庁舎　市民課"):
        answer = await client.post("/sites/venues", data={**first, "name_ja": name})
        assert answer.status_code == 422, name
        assert "すでにあります" in field_error(answer.text, "name_ja")
    other = await client.post("/sites/venues", data={**first, "name_ja": "ABCホール 甲子園"})
    assert other.status_code == 303
    assert dbutil.fetch(database_url, count)[0][0] == before + 1


async def test_calendar_edits_are_audited_and_open_the_day(
    client: httpx.AsyncClient, manager: int, audited: Actors, settings: Settings
) -> None:
    """Weekly hours and a special opening, each an audited op: the day can then be planned;
    clearing it closes the day again. Operators see the calendar but may not change it."""
    saturday = next_day(COUNTER, False, weekday=5)
    await refused(client, plan_form(CALL_CENTER, saturday), "work_date")
    hours = {f"{edge}_{key}": "" for key in range(8) for edge in ("opens", "closes")}
    hours |= {f"opens_{key}": "09:00" for key in range(5)}
    hours |= {f"closes_{key}": "17:30" for key in range(5)}
    saved = await client.post(
        f"/sites/{CALL_CENTER}/calendar/hours",
        data=hours | {"opens_5": "10:00", "closes_5": "15:00"},
    )
    assert saved.status_code == 303, saved.text[-2000:]
    assert audited("site.set_hours", f"site:{CALL_CENTER}") == [(manager,)]
    await planned(client, plan_form(CALL_CENTER, saturday, "10:00", "15:00"))

    sunday = saturday + dt.timedelta(days=1)
    special = {
        "day": sunday.isoformat(),
        "status": "open",
        "opens": "",
        "closes": "",
        "note": "休日開庁",
    }
    assert (await client.post(f"/sites/{HONCHO}/calendar/days", data=special)).status_code == 303
    assert audited("site.set_day", f"site:{HONCHO}") == [(manager,)]
    page = await client.get(f"/sites/{HONCHO}/calendar")
    assert page.status_code == 200 and sunday.isoformat() in page.text and "休日開庁" in page.text
    await planned(client, plan_form(HONCHO, sunday, "07:00", "20:00"))

    cleared = await client.post(f"/sites/{HONCHO}/calendar/days/{sunday.isoformat()}/clear")
    assert cleared.status_code == 303
    assert audited("site.clear_day", f"site:{HONCHO}") == [(manager,)]
    await refused(client, plan_form(HONCHO, sunday, "07:00", "08:00"), "work_date")

    bad = await client.post(f"/sites/{HONCHO}/calendar/hours", data=hours | {"closes_0": "08:00"})
    assert bad.status_code == 422 and field_error(bad.text, "opens_0")
    operator = await make_staff("operator")
    await sign_in(client, operator, settings)
    assert (await client.get(f"/sites/{HONCHO}/calendar")).status_code == 200
    denied = await client.post(f"/sites/{HONCHO}/calendar/days", data=special)
    assert denied.status_code == 403
    assert len(audited("site.set_day", f"site:{HONCHO}")) == 1


async def test_changed_times_meet_the_calendar_and_the_overlap_rule(
    client: httpx.AsyncClient, manager: int, database_url: str
) -> None:
    """A synced edit of a session's window past closing, or onto another session there, is
    refused; one inside the hours and clear of the other lands, and so does an overlap the
    planner confirmed."""
    weekday = next_day(COUNTER, True)
    first = await planned(client, plan_form(HONCHO, weekday, "10:00", "12:00"))
    await planned(client, plan_form(HONCHO, weekday, "13:00", "15:00"))

    def moved(seq: int, start: int, end: int) -> dict[str, Any]:
        at = {
            name: dt.datetime.combine(weekday, dt.time(hour), JST).isoformat()
            for name, hour in (("planned_start", start), ("planned_end", end))
        }
        return op(seq, "work_session.update", {"work_session_id": first, **at})

    tablet = await device(client)
    confirmed = moved(4, 9, 14)
    confirmed["payload"]["allow_overlap"] = True
    batch = [moved(1, 10, 18), moved(2, 11, 14), moved(3, 9, 13), confirmed]
    answer = await push(client, tablet, batch)
    assert [(r["status"], r.get("code")) for r in answer["results"]] == [
        ("rejected", "outside_hours"),
        ("rejected", "site_overlap"),
        ("applied", None),
        ("applied", None),
    ]
    end = dbutil.fetch(database_url, f"SELECT planned_end FROM work_session WHERE id = {first}")
    assert "05:00:00" in str(end[0][0])  # 14:00 JST
