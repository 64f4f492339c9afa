"""A day's journal through the browser: the business manager submits it, city staff
acknowledge it, the manager revises it with a reason; the history shows all three steps
and the figures each submission froze. Every state of the page fits a phone and a tablet
with no serious axe finding."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests import dbutil
from tests.support import tablet
from tests.support.layout import check_page

pytestmark = pytest.mark.browser


def _as(tab: Any, live_server: str, cookie: str, path: str) -> None:
    tab.context.clear_cookies()
    tablet.signed_in(tab, live_server, cookie)
    tab.goto(path)


def test_submit_acknowledge_revise_through_the_page(
    page: tuple[Any, Any], live_server: str
) -> None:
    """Submit, acknowledge, revise: the status, the frozen total and the history follow.
    At a venue of its own, so no other test's counts are in its day."""
    tab, problems = page
    data = tablet.today_session(opened=True, venue="reception")
    manager = tablet.login_cookie("business_manager")
    city = tablet.login_cookie("city_staff")
    path = f"/journal?site_id={data['site']}"
    found: list[str] = []

    _as(tab, live_server, manager, path)
    expect(tab.get_by_test_id("journal-status")).to_have_text("未提出")
    found += check_page(tab, "journal-draft")
    form = tab.get_by_test_id("journal-submit-form")
    form.locator("textarea[name=notes]").fill("交付端末1台の起動に時間がかかった。")
    form.get_by_test_id("journal-submit").click()
    expect(tab.get_by_test_id("journal-status")).to_have_text("提出済")
    expect(tab.get_by_test_id("journal-notes")).to_have_text("交付端末1台の起動に時間がかかった。")

    _as(tab, live_server, city, path)
    expect(tab.get_by_test_id("journal-submit-panel")).to_have_count(0)
    found += check_page(tab, "journal-submitted-city")
    tab.get_by_test_id("journal-acknowledge").click()
    expect(tab.get_by_test_id("journal-status")).to_have_text("市確認済")

    tablet.count_in(data, "visitors")  # synced after the acknowledgement
    _as(tab, live_server, manager, path)
    expect(tab.get_by_test_id("journal-total")).to_have_text("0")  # as submitted
    expect(tab.get_by_test_id("journal-changed")).to_contain_text("来場者: 0 → 1")
    form = tab.get_by_test_id("journal-submit-form")
    form.get_by_test_id("journal-submit").click()  # no reason: the browser asks for one
    expect(tab.get_by_test_id("journal-status")).to_have_text("市確認済")
    form.get_by_test_id("journal-reason").fill("提出後に同期された交付1件を反映")
    form.get_by_test_id("journal-submit").click()
    expect(tab.get_by_test_id("journal-status")).to_have_text("提出済")
    expect(tab.get_by_test_id("journal-total")).to_have_text("1")
    expect(tab.get_by_test_id("journal-changed")).to_have_count(0)
    steps = tab.get_by_test_id("journal-step")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_contain_text("第1版")
    expect(steps.nth(1)).to_contain_text("市確認済")
    expect(steps.nth(2)).to_contain_text("提出後に同期された交付1件を反映")
    found += check_page(tab, "journal-revised")
    assert found == []
    assert tablet.unexpected(problems) == []


def test_closing_checks_made_offline_reach_the_submitted_journal(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """The business manager in charge finishes the day offline on a tablet, ticking the
    closing checks; once the tablet syncs, the journal names what was checked and what
    was not, and is submitted, acknowledged and revised with it."""
    tab, problems = page
    tab.set_viewport_size({"width": 820, "height": 1180})
    data = tablet.today_session(opened=True, venue="reception")
    session = data["session"]
    in_charge = dbutil.fetch(
        database_url,
        "SELECT staff FROM work_session_staff "
        f"WHERE work_session = {session} AND duty = 'in_charge'",
    )[0][0]
    manager = tablet.login_cookie("business_manager", staff_id=int(in_charge))
    city = tablet.login_cookie("city_staff")
    found: list[str] = []

    _as(tab, live_server, manager, f"/field/sessions/{session}")
    tablet.ready_for_offline(tab)
    tab.context.set_offline(True)
    tab.get_by_test_id("close-session").click()
    checks = tab.get_by_test_id("close-checks")
    expect(checks).to_be_visible()
    checks.get_by_label("端末を終了した").check()
    checks.get_by_label("書類を施錠できる鞄に収めた").check()
    found += check_page(tab, "field-closing-checks")
    tab.get_by_test_id("confirm-close").click()
    expect(tab.get_by_test_id("session-status")).to_have_text("終了")
    tab.context.set_offline(False)
    tablet.synced(tab)
    recorded = dbutil.fetch(
        database_url,
        f"SELECT done, missing FROM session_check WHERE work_session = {session}",
    )
    assert recorded == [('["terminals_off", "papers_secured"]', '["forms_counted"]')]

    path = f"/journal?site_id={data['site']}"
    _as(tab, live_server, manager, path)
    listed = tab.get_by_test_id("journal-checks")
    expect(listed).to_contain_text("端末を終了した")
    expect(listed).to_contain_text("未実施: 申請書等の帳票を数えた")
    tab.get_by_test_id("journal-submit").click()
    expect(tab.get_by_test_id("journal-status")).to_have_text("提出済")
    _as(tab, live_server, city, path)
    tab.get_by_test_id("journal-acknowledge").click()
    expect(tab.get_by_test_id("journal-status")).to_have_text("市確認済")
    _as(tab, live_server, manager, path)
    form = tab.get_by_test_id("journal-submit-form")
    form.get_by_test_id("journal-reason").fill("帳票の数は翌朝に確認済み")
    form.get_by_test_id("journal-submit").click()
    expect(tab.get_by_test_id("journal-status")).to_have_text("提出済")
    expect(tab.get_by_test_id("journal-step")).to_have_count(3)
    expect(tab.get_by_test_id("journal-checks")).to_contain_text("未実施: 申請書等の帳票を数えた")
    found += check_page(tab, "journal-with-checks")
    assert found == []
    assert tablet.unexpected(problems) == []
