"""The planning week in Chromium on a 390×844 phone (days stacked) and a 1024×768 tablet (a
sites-by-days grid): no sideways scroll, the clash marked where it can be seen, closed days
labelled, and no serious or critical axe-core finding."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from server import db
from server.auth import service as auth_service
from server.settings import Settings
from server.sites import calendar
from tests import dbutil
from tests.support.browser import SERIOUS, axe_violations
from tests.support.field import JST, plan_session
from tests.support.identities import make_staff
from tests.support.layout import shot

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "tablet": (1024, 768)}
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
HONCHO = 1


def _monday() -> dt.date:
    """A Monday some weeks ahead on which a weekday counter is open (nothing else planned)."""
    counter = calendar.make_rules("office")
    day = dt.datetime.now(JST).date() + dt.timedelta(weeks=9)
    day -= dt.timedelta(days=day.weekday())
    while not calendar.opening(counter, day).is_open:
        day += dt.timedelta(weeks=1)
    return day


async def _week(settings: Settings, monday: dt.date) -> dict[str, Any]:
    """A manager's login, a session at 本庁舎 on ``monday`` 10:00–16:00, and one overlapping
    it (confirmed by its planner, as the helper does)."""
    db.bind_engine(db.make_engine(settings.database))
    manager = await make_staff("business_manager")
    first = await plan_session(settings, site_id=HONCHO, manager_id=manager, day=monday)
    await plan_session(
        settings, site_id=HONCHO, manager_id=manager, day=monday, start_hour=15, hours=2
    )
    return {"cookie": await _cookie(settings, manager), "first": first}


async def _cookie(settings: Settings, manager: int | None = None) -> str:
    """A login session of ``manager`` (a new business manager when None)."""
    db.bind_engine(db.make_engine(settings.database))
    manager = manager or await make_staff("business_manager")
    async with db.writing():
        return await auth_service.create_login_session(manager, settings.auth)


def test_the_week_fits_a_phone_and_a_tablet_with_its_clash_marked(
    page: tuple[Any, Any], live_server: str
) -> None:
    """At each size the page fits its width, the visible layout marks both sessions of the
    clash, Saturday at 本庁舎 reads as closed, and axe-core finds nothing serious."""
    tab, problems = page
    monday = _monday()
    data = dbutil.run_coroutine(_week(Settings.from_env(), monday))
    tab.context.add_cookies(
        [{"name": "madoguchi_session", "value": data["cookie"], "url": live_server}]
    )
    tab.goto("/work-sessions")
    tab.get_by_test_id("week-link").click()
    tab.wait_for_url("**/work-sessions/week")
    tab.goto(f"/work-sessions/week?week_of={monday.isoformat()}")
    saturday = (monday + dt.timedelta(days=5)).isoformat()
    found = []
    for size, (width, height) in SIZES.items():
        tab.set_viewport_size({"width": width, "height": height})
        shown = tab.get_by_test_id("week-grid" if size == "tablet" else "week-days")
        hidden = tab.get_by_test_id("week-days" if size == "tablet" else "week-grid")
        expect(shown).to_be_visible()
        expect(hidden).to_be_hidden()
        assert tab.evaluate(OVERFLOW) <= 0, f"the week scrolls sideways at {width} px"
        clashes = shown.get_by_test_id("clash")
        expect(clashes).to_have_count(2)
        expect(clashes.first).to_be_visible()
        expect(clashes.first).to_contain_text("時間が重複")
        expect(shown.locator(f'[data-session-id="{data["first"]}"]')).to_have_class(
            "week-session clash"
        )
        closed = shown.locator(f'.week-cell[data-day="{saturday}"]').first
        expect(closed).to_have_class("week-cell closed")
        expect(closed).to_contain_text("休業")
        found += [f"{size}: {v}" for v in axe_violations(tab, SERIOUS)]
        shot(tab, f"planning-week-{size}")
    assert found == []
    assert problems.all() == []


def test_a_sites_calendar_fits_and_a_manager_saves_saturday_hours(
    page: tuple[Any, Any], live_server: str
) -> None:
    """The calendar of 越木岩分室 fits both sizes without a serious axe finding; a manager
    opens Saturdays 10:00–15:00 through its form and sees them saved."""
    tab, problems = page
    cookie = dbutil.run_coroutine(_cookie(Settings.from_env()))
    tab.context.add_cookies([{"name": "madoguchi_session", "value": cookie, "url": live_server}])
    tab.goto("/sites")
    tab.locator('[data-site-id="4"]').get_by_test_id("calendar-link").click()
    tab.wait_for_url("**/sites/4/calendar")
    found = []
    for size, (width, height) in SIZES.items():
        tab.set_viewport_size({"width": width, "height": height})
        assert tab.evaluate(OVERFLOW) <= 0, f"the calendar scrolls sideways at {width} px"
        found += [f"{size}: {v}" for v in axe_violations(tab, SERIOUS)]
        shot(tab, f"site-calendar-{size}")
    assert found == []
    saturday = tab.locator('[data-weekday="5"]')
    saturday.locator('input[name="opens_5"]').fill("10:00")
    saturday.locator('input[name="closes_5"]').fill("15:00")
    tab.get_by_test_id("save-hours").click()
    expect(tab.get_by_test_id("notice")).to_be_visible()
    expect(tab.locator('input[name="opens_5"]')).to_have_value("10:00")
    expect(tab.locator('input[name="closes_5"]')).to_have_value("15:00")
    assert problems.all() == []
    dbutil.execute(Settings.from_env().database.url, "DELETE FROM site_hours WHERE site = 4")
