"""Starting and finishing on the tablet (issue 18, point 1): 終了する asks first, showing
the session's totals, on a phone, with the tablet's scripts and service worker and in a
browser running no script at all; a manager starts another day's session offline with a
reason, which is kept with the session."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from server import db
from server.auth import service as auth_service
from server.headcounts import service as headcounts
from server.settings import Settings
from server.sync import ops
from tests import dbutil
from tests.support import tablet
from tests.support.browser import PageProblems
from tests.support.field import JST, apply, staffed_session

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def session_status(database_url: str, session: int) -> str:
    """The session's status in the database."""
    return str(
        dbutil.fetch(database_url, f"SELECT status FROM work_session WHERE id = {session}")[0][0]
    )


def fits(tab: Any, test_id: str) -> None:
    """The element lies within the viewport's width (nothing to scroll sideways for)."""
    box = tab.get_by_test_id(test_id).bounding_box()
    assert box is not None, test_id
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (test_id, box)


def test_finish_shows_the_totals_first_then_finishes(
    page: tuple[Any, PageProblems], live_server: str, database_url: str
) -> None:
    """Taps, then 終了する: the confirmation lists each category's total and the sum (the
    taps just made included); nothing is finished until 終了を確定する, then it is."""
    tab, problems = page
    tab.set_viewport_size(PHONE)
    data = tablet.today_session(opened=True)
    session = data["session"]
    tablet.signed_in(tab, live_server, data["cookie"])
    tab.goto(f"/field/sessions/{session}")
    expect(tab.get_by_test_id("session-status")).to_have_text("開設中")
    tablet.ready_for_offline(tab)
    taps = {"issuance_reserved": 2, "pin_reset": 1}
    for code, times in taps.items():
        for n in range(1, times + 1):
            tab.get_by_test_id(f"plus-{code}").click()
            expect(tablet.total(tab, code)).to_have_text(str(n))

    confirm = tab.get_by_test_id("close-confirm")
    expect(confirm).to_be_hidden()
    tab.get_by_test_id("close-session").click()
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("終了しますか")
    expect(tab.get_by_test_id("close-total-issuance_reserved")).to_have_text("2")
    expect(tab.get_by_test_id("close-total-pin_reset")).to_have_text("1")
    expect(tab.get_by_test_id("close-total-certificate_renewal")).to_have_text("0")
    expect(tab.get_by_test_id("close-grand-total")).to_have_text("3")
    for test_id in ("close-confirm", "confirm-close", "cancel-close"):
        fits(tab, test_id)
    expect(tab.get_by_test_id("session-status")).to_have_text("開設中")
    tablet.synced(tab)
    assert session_status(database_url, session) == "open"

    tab.get_by_test_id("confirm-close").click()
    expect(tab.get_by_test_id("session-status")).to_have_text("終了")
    expect(tab.get_by_test_id("plus-issuance_reserved")).to_have_count(0)
    expect(tab.get_by_test_id("close-session")).to_be_hidden()
    tablet.synced(tab)
    assert session_status(database_url, session) == "closed"
    assert tablet.db_totals(database_url, session) == taps
    assert tablet.unexpected(problems) == []


async def _counted(settings: Settings, data: dict[str, Any], code: str, times: int) -> None:
    db.bind_engine(db.make_engine(settings.database))
    slot = headcounts.slot_of(dt.datetime.now(dt.UTC), settings.field.slot_minutes)
    for _ in range(times):
        payload = ops.AddHeadcount(
            work_session_id=data["session"], slot_start=slot, category=code, delta=1
        )
        await apply(ops.HeadcountAdd(payload=payload), data["operator"], "operator", settings)


def test_finish_asks_first_without_scripts(
    browser: Any, live_server: str, database_url: str
) -> None:
    """With scripts off (no worker, no htmx), 終了する still opens the confirmation with the
    server's totals, and confirming finishes the session."""
    data = tablet.today_session(opened=True)
    session = data["session"]
    tablet.run(_counted(Settings.from_env(), data, "issuance_reserved", 4))
    context = browser.new_context(
        base_url=live_server, locale="ja-JP", java_script_enabled=False, viewport=PHONE
    )
    try:
        tab = context.new_page()
        tablet.signed_in(tab, live_server, data["cookie"])
        tab.goto(f"/field/sessions/{session}")
        confirm = tab.get_by_test_id("close-confirm")
        expect(confirm).to_be_hidden()
        tab.get_by_test_id("close-session").click()
        expect(confirm).to_be_visible()
        expect(tab.get_by_test_id("close-total-issuance_reserved")).to_have_text("4")
        expect(tab.get_by_test_id("close-grand-total")).to_have_text("4")
        fits(tab, "confirm-close")
        assert session_status(database_url, session) == "open"
        tab.get_by_test_id("confirm-close").click()
        expect(tab.get_by_test_id("session-status")).to_have_text("終了")
        assert session_status(database_url, session) == "closed"
    finally:
        context.close()


async def _tomorrows_session(settings: Settings) -> dict[str, Any]:
    db.bind_engine(db.make_engine(settings.database))
    tomorrow = dt.datetime.now(JST).date() + dt.timedelta(days=1)
    ids = await staffed_session(settings, site_id=1, day=tomorrow)
    async with db.writing():
        cookie = await auth_service.create_login_session(ids["in_charge"], settings.auth)
    return {**ids, "cookie": cookie}


def test_a_manager_starts_another_days_session_offline_with_a_reason(
    page: tuple[Any, PageProblems], live_server: str, database_url: str
) -> None:
    """Offline, the manager's reason goes into the outbox with the start; once synced the
    session is open and keeps the reason."""
    tab, problems = page
    data = tablet.run(_tomorrows_session(Settings.from_env()))
    session = tablet.planned_offline(tab, live_server, data)
    reason = "会場の都合で前日に開設する。"
    tab.get_by_test_id("override-reason").fill(reason)
    tab.get_by_test_id("open-session").click()
    expect(tab.get_by_test_id("session-status")).to_have_text("開設中")
    [start] = tab.evaluate(tablet.OUTBOX)
    assert (start["type"], start["payload"]["override_reason"]) == ("work_session.open", reason)
    assert session_status(database_url, session) == "planned"

    tab.context.set_offline(False)
    tablet.synced(tab)
    assert session_status(database_url, session) == "open"
    kept = dbutil.fetch(
        database_url,
        f"SELECT reason FROM work_session_revision WHERE work_session = {session} AND reason <> ''",
    )
    assert [str(row[0]) for row in kept] == [reason]
    assert tablet.unexpected(problems) == []
