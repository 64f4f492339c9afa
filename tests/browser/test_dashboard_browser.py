"""A manager keeps the dashboard (本日の状況) open on a tablet: it fits a landscape tablet
and a phone, and a count recorded at a venue shows up by itself at the next refresh."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playwright.sync_api import expect

from server import db
from server.auth import service as auth_service
from server.headcounts import service as headcounts
from server.settings import Settings
from server.sync import ops
from tests import dbutil
from tests.support import tablet
from tests.support.browser import open_menu
from tests.support.field import apply, new_uid
from tests.support.layout import check_page


async def _sign_in(staff_id: int) -> str:
    settings = Settings.from_env()
    db.bind_engine(db.make_engine(settings.database))
    async with db.writing():
        return await auth_service.create_login_session(staff_id, settings.auth)


async def _count(data: dict[str, Any], delta: int) -> None:
    """The venue's operator counts ``delta`` visitors in the slot of now."""
    settings = Settings.from_env()
    db.bind_engine(db.make_engine(settings.database))
    slot = headcounts.slot_of(dt.datetime.now(dt.UTC), settings.field.slot_minutes)
    payload = ops.AddHeadcount(
        work_session_id=data["session"], slot_start=slot, category="visitors", delta=delta
    )
    await apply(ops.HeadcountAdd(payload=payload), data["operator"], "operator", settings)


async def _fall(data: dict[str, Any], site_id: int) -> str:
    """The operator files a high-severity fall at the venue, ten minutes ago."""
    settings = Settings.from_env()
    db.bind_engine(db.make_engine(settings.database))
    uid = new_uid()
    payload = ops.CreateIncident(
        uid=uid,
        site_id=site_id,
        work_session_id=data["session"],
        category="accident_injury",
        severity="high",
        occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10),
        description="来場者が段差で転倒した。",
    )
    await apply(ops.IncidentCreate(payload=payload), data["operator"], "operator", settings)
    return uid


def test_the_dashboard_fits_a_tablet_and_refreshes_by_itself(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """1024 × 768 and 390 px (and 360), in Japanese and English: no sideways scrolling, no
    serious axe finding, an open incident among the problems. Two visitors counted at the
    venue reach the open page at the next 30-second refresh (the page's clock moved on),
    without a reload."""
    tab, problems = page
    data = tablet.today_session(opened=True, venue="reception")
    site = dbutil.fetch(database_url, f"SELECT site FROM work_session WHERE id = {data['session']}")
    fall = tablet.run(_fall(data, int(site[0][0])))
    cookie = tablet.run(_sign_in(data["manager"]))
    tablet.signed_in(tab, live_server, cookie)
    tab.clock.install()
    tab.set_viewport_size({"width": 1024, "height": 768})
    tab.goto("/")
    open_menu(tab)
    tab.get_by_test_id("nav-dashboard").click()
    expect(tab.locator("h1")).to_contain_text("本日の状況")
    card = tab.locator(f'[data-testid="dashboard-site"][data-site-id="{site[0][0]}"]')
    expect(card.get_by_test_id("site-total")).to_have_text("0")
    expect(tab.locator(f'[data-incident-uid="{fall}"]')).to_be_visible()
    assert check_page(tab, "dashboard-ja") == []

    tab.set_viewport_size({"width": 1024, "height": 768})
    tab.evaluate("window.__samePage = true")
    tablet.run(_count(data, 2))
    tab.clock.run_for(30_000)
    expect(card.get_by_test_id("site-total")).to_have_text("2")
    expect(card.locator('[data-category="visitors"] dd')).to_have_text("2")
    assert tab.evaluate("window.__samePage") is True

    tab.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    tab.reload()
    expect(tab.locator("h1")).to_contain_text("Dashboard")
    assert check_page(tab, "dashboard-en") == []
    assert tablet.unexpected(problems) == []
