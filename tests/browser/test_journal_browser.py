"""A day's journal through the browser: the business manager submits it, city staff
acknowledge it, the manager revises it with a reason; the history shows all three steps
and the figures each submission froze. Every state of the page fits a phone and a tablet
with no serious axe finding."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

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
