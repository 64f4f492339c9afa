"""The planning week through real HTTP: each site's sessions from Monday to Sunday, closed
days labelled, sessions that clash marked, other weeks a link away; for managers only."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from server.settings import Settings
from server.sites import calendar
from tests.support.field import JST
from tests.support.identities import make_staff, sign_in

HONCHO, ACTA = 1, 3


def planning_monday() -> dt.date:
    """The Monday of a week to come whose Monday and Tuesday a weekday counter is open."""
    counter = calendar.make_rules("office")
    day = dt.datetime.now(JST).date() + dt.timedelta(days=7)
    day -= dt.timedelta(days=day.weekday())
    while not all(calendar.opening(counter, day + dt.timedelta(days=n)).is_open for n in range(2)):
        day += dt.timedelta(days=7)
    return day


def cell(html: str, site: int, day: dt.date) -> str:
    """The table cell of ``site`` on ``day`` (the tablet's grid)."""
    row = re.search(rf'<tr data-site-id="{site}">(.*?)</tr>', html, re.DOTALL)
    assert row, html[-2000:]
    found = re.search(
        rf'<td class="week-cell[^"]*" data-day="{day.isoformat()}">(.*?)</td>',
        row.group(1),
        re.DOTALL,
    )
    assert found
    return found.group(0)


async def test_the_week_marks_clashes_and_closed_days(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Two overlapping sessions at 本庁舎 are marked, a third beside them is not; Saturday is
    shaded and labelled at 本庁舎 and open 9:00–16:00 at ACTA; weeks link on both sides."""
    manager = await make_staff("business_manager")
    await sign_in(client, manager, settings)
    monday = planning_monday()
    form = {"site_id": str(HONCHO), "work_date": monday.isoformat(), "notes": ""}

    async def plan(start: str, end: str, **more: str) -> int:
        times = {"planned_start": start, "planned_end": end, **more}
        answer = await client.post("/work-sessions", data=form | times)
        assert answer.status_code == 303, answer.text[-2000:]
        return int(answer.headers["location"].rsplit("/", 1)[-1])

    first = await plan("10:00", "12:00")
    clashing = await plan("11:00", "13:00", allow_overlap="yes")  # confirmed by its planner
    apart = await plan("14:00", "15:00")

    listing = await client.get("/work-sessions")
    assert 'href="/work-sessions/week" data-testid="week-link"' in listing.text
    page = await client.get(f"/work-sessions/week?week_of={monday + dt.timedelta(days=3)}")
    assert page.status_code == 200
    html = page.text
    sunday = monday + dt.timedelta(days=6)
    week = (
        f"{monday.year}年{monday.month}月{monday.day}日(月) – "
        f"{sunday.year}年{sunday.month}月{sunday.day}日(日)"
    )
    assert week in html
    monday_cell = cell(html, HONCHO, monday)
    for session in (first, clashing):
        assert re.search(rf'class="week-session clash" data-session-id="{session}"', monday_cell)
    assert f'class="week-session" data-session-id="{apart}"' in monday_cell
    assert "時間が重複" in monday_cell and 'data-testid="clash-count"' in html

    saturday = monday + dt.timedelta(days=5)
    closed = cell(html, HONCHO, saturday)
    assert 'class="week-cell closed"' in closed and "休業" in closed
    acta = cell(html, ACTA, saturday)
    assert "closed" not in acta.split(">", 1)[0] and "09:00–16:00" in acta
    previous = (monday - dt.timedelta(days=7)).isoformat()
    following = (monday + dt.timedelta(days=7)).isoformat()
    assert f'href="/work-sessions/week?week_of={previous}"' in html
    assert f'href="/work-sessions/week?week_of={following}"' in html
    assert (await client.get("/work-sessions/week?week_of=garbage")).status_code == 200


async def test_only_planners_see_the_week(client: httpx.AsyncClient, settings: Settings) -> None:
    """An operator is refused the planning week."""
    await sign_in(client, await make_staff("operator"), settings)
    assert (await client.get("/work-sessions/week")).status_code == 403
