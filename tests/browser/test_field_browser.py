"""The tablet field page in a real browser: open, tap, correct, file an incident."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from server import db
from server.auth import service as auth_service
from server.settings import Settings
from server.sync import ops
from tests import dbutil
from tests.support.field import JST, apply, staff_session
from tests.support.identities import make_staff

pytestmark = pytest.mark.browser

CATEGORIES = ("issuance", "pin_reset", "certificate_renewal")
UNSENT = "async () => (await (await import('/static/js/outbox.js')).pending()).length"


async def _today_session(settings: Settings, *, opened: bool = False) -> dict[str, Any]:
    db.bind_engine(db.make_engine(settings.database))
    manager = await make_staff("overall_manager")
    in_charge = await make_staff("business_manager")
    operator = await make_staff("operator")
    now = dt.datetime.now(JST).replace(second=0, microsecond=0)
    start = max(now - dt.timedelta(hours=1), now.replace(hour=0, minute=0))
    applied = await apply(
        ops.WorkSessionPlan(
            payload=ops.PlanWorkSession(
                site_id=1,
                work_date=now.date(),
                planned_start=start,
                planned_end=now + dt.timedelta(hours=3),
            )
        ),
        manager,
        "overall_manager",
        settings,
    )
    session = int(applied.entity_id or 0)
    await staff_session(settings, session, manager=manager, in_charge=in_charge, operator=operator)
    if opened:
        at = ops.OpenWorkSession(work_session_id=session, at=dt.datetime.now(JST))
        await apply(ops.WorkSessionOpen(payload=at), operator, "operator", settings)
    async with db.writing():
        cookie = await auth_service.create_login_session(operator, settings.auth)
    return {"session": session, "operator": operator, "cookie": cookie}


def today_session(*, opened: bool = False) -> dict[str, Any]:
    """A staffed session at 本庁舎 around now (planned, or opened), and an operator's cookie."""
    settings = Settings.from_env()
    return dbutil.run_coroutine(_today_session(settings, opened=opened))


def signed_in(tab: Any, live_server: str, cookie: str) -> None:
    """Give the browser the operator's login session."""
    tab.context.add_cookies([{"name": "madoguchi_session", "value": cookie, "url": live_server}])


def total(tab: Any, code: str) -> Any:
    """The on-screen total of a category."""
    return tab.get_by_test_id(f"total-{code}")


def counts_sent(tab: Any, database_url: str, session: int) -> dict[str, int]:
    """The session's totals in the database once the tablet's sync loop has sent its taps."""
    # Taps are answered on the tablet (outbox first).
    deadline = time.monotonic() + 15
    while tab.evaluate(UNSENT) and time.monotonic() < deadline:
        time.sleep(0.1)
    rows = dbutil.fetch(
        database_url,
        f"SELECT category, SUM(delta) FROM headcount WHERE work_session = {session} "
        "GROUP BY category",
    )
    return {str(category): int(n) for category, n in rows}


def test_operator_counts_corrects_and_files_an_incident(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """Taps in three categories and one correction show the same totals as the database."""
    tab, problems = page
    data = today_session()
    signed_in(tab, live_server, data["cookie"])
    tab.goto("/field")
    tab.get_by_test_id("session-link").first.click()
    tab.get_by_test_id("open-session").click()
    expect(tab.get_by_test_id("session-status")).to_have_text("開設中")

    taps = {"issuance": 3, "pin_reset": 2, "certificate_renewal": 1}
    for code, times in taps.items():
        for n in range(1, times + 1):
            tab.get_by_test_id(f"plus-{code}").click()
            expect(total(tab, code)).to_have_text(str(n))
    tab.once("dialog", lambda dialog: dialog.accept())
    tab.get_by_test_id("minus-issuance").click()
    expect(total(tab, "issuance")).to_have_text("2")
    expect(tab.get_by_test_id("grand-total")).to_have_text("5")
    in_db = counts_sent(tab, database_url, data["session"])
    on_screen = {code: int(total(tab, code).inner_text()) for code in CATEGORIES}
    assert in_db == on_screen == {"issuance": 2, "pin_reset": 2, "certificate_renewal": 1}

    tab.get_by_test_id("report-incident").click()
    form = tab.get_by_test_id("incident-form")
    form.locator("select[name=category]").select_option("equipment_failure")
    form.locator("input[name=severity][value=medium]").check()
    form.locator("textarea[name=description]").fill("写真用プリンターが紙詰まり。予備機に切替。")
    tab.get_by_test_id("file-incident").click()
    tab.wait_for_url(re.compile(r".*/incidents/[0-9a-f-]{36}$"))
    expect(tab.locator("main")).to_contain_text("写真用プリンターが紙詰まり")
    incidents = dbutil.fetch(
        database_url,
        f"SELECT category, severity, site FROM incident WHERE work_session = {data['session']}",
    )
    assert incidents == [("equipment_failure", "medium", 1)]
    assert problems.all() == []


def test_browser_refuses_a_my_number_before_sending(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """An incident description holding a My Number is stopped in the page; nothing is sent."""
    tab, problems = page
    data = today_session()
    signed_in(tab, live_server, data["cookie"])
    tab.goto(f"/incidents/new?work_session_id={data['session']}&site_id=1")
    posts: list[str] = []
    tab.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    form = tab.get_by_test_id("incident-form")
    form.locator("select[name=category]").select_option("complaint")
    form.locator("input[name=severity][value=low]").check()
    form.locator("textarea[name=description]").fill("お客様の番号は１２３４ ５６７８ ９０１８です")
    tab.get_by_test_id("file-incident").click()
    expect(tab.get_by_test_id("my-number-error")).to_contain_text("個人番号")
    assert posts == []
    count = dbutil.fetch(
        database_url, f"SELECT count(*) FROM incident WHERE work_session = {data['session']}"
    )
    assert count == [(0,)]
    assert problems.all() == []


def test_taps_made_before_the_page_scripts_run_are_counted(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """Taps on counters shown before the page's modules have run are all counted."""
    tab, problems = page
    data = today_session(opened=True)
    signed_in(tab, live_server, data["cookie"])
    held: list[Any] = []
    # The first visit is not fetched through the worker, so the page's own module can be held.
    tab.route("**/static/js/field.js", lambda route: held.append(route))
    tab.goto(f"/field/sessions/{data['session']}", wait_until="commit")
    tab.get_by_test_id("plus-issuance").click()
    tab.get_by_test_id("plus-issuance").click()
    tab.get_by_test_id("plus-pin_reset").click()
    assert len(held) == 1 and total(tab, "issuance").inner_text() == "0"
    held[0].continue_()
    expect(total(tab, "issuance")).to_have_text("2")
    expect(total(tab, "pin_reset")).to_have_text("1")
    assert counts_sent(tab, database_url, data["session"]) == {"issuance": 2, "pin_reset": 1}
    assert problems.all() == []
