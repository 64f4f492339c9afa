"""Offline, every page of the menu opens: as this tablet last saw it (saying when), or as a
plain page saying it needs a connection. Never the browser's own error page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import tablet
from tests.support.browser import open_menu

pytestmark = pytest.mark.browser

SAVED = "この端末に保存した画面です。最新の変更は表示されていない場合があります。"
NOT_KEPT = "この画面はこの端末に保存されていません。"


def _menu_to(tab: Any, link: str) -> None:
    open_menu(tab)
    tab.get_by_test_id(link).click()
    tab.wait_for_load_state()


def test_menu_pages_seen_online_open_offline_with_their_time(
    page: tuple[Any, Any], live_server: str
) -> None:
    """トラブル・事故・苦情, 夜間照合 and 業務日誌, opened once online, open offline from the
    copy kept, which says when it was saved; online again, the live page has no such note."""
    tab, problems, data = tablet.field_online(page, live_server)
    for link in ("nav-incidents", "nav-reconciliation", "nav-journal"):
        _menu_to(tab, link)
        expect(tab.get_by_test_id("offline-copy")).to_have_count(0)
    tab.goto(f"/field/sessions/{data['session']}")
    tab.context.set_offline(True)
    for link, heading in (
        ("nav-incidents", "トラブル・事故・苦情"),
        ("nav-reconciliation", "夜間照合"),
        ("nav-journal", "業務日誌"),
    ):
        _menu_to(tab, link)
        expect(tab.locator("h1")).to_contain_text(heading)
        note = tab.get_by_test_id("offline-copy")
        expect(note).to_contain_text(SAVED)
        expect(note).to_contain_text(":")  # the time it was saved
    tab.context.set_offline(False)
    tab.reload()
    expect(tab.get_by_test_id("offline-copy")).to_have_count(0)
    assert [p for p in tablet.unexpected(problems) if "503" not in p] == []


def test_a_page_never_kept_says_it_needs_a_connection(
    page: tuple[Any, Any], live_server: str
) -> None:
    """Offline, the menu marks the pages this tablet has no copy of; opening one anyway is a
    plain page of ours that says why, with a way back to 本日の業務."""
    tab, problems, _data = tablet.field_online(page, live_server)
    tab.goto("/field")  # 本日の業務 seen online: kept
    tab.context.set_offline(True)
    open_menu(tab)
    expect(tab.get_by_test_id("nav-sites")).to_contain_text("要接続")
    expect(tab.get_by_test_id("nav-field")).not_to_contain_text("要接続")
    tab.get_by_test_id("nav-sites").click()
    expect(tab.get_by_test_id("not-kept")).to_contain_text(NOT_KEPT)
    answer = tab.goto("/sites/1")
    assert answer is not None and answer.status == 503
    expect(tab.get_by_test_id("not-kept")).to_contain_text(NOT_KEPT)
    tab.get_by_role("link", name="本日の業務 / Today").click()
    expect(tab.get_by_test_id("offline-copy")).to_contain_text(SAVED)  # 本日の業務, as kept
    tab.context.set_offline(False)
    open_menu(tab)
    expect(tab.get_by_test_id("nav-sites")).not_to_contain_text("要接続")
    assert [p for p in tablet.unexpected(problems) if "503" not in p] == []
