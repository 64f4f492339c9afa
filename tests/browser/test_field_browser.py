"""The tablet field page in a real browser: open, tap, correct, file an incident."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import dbutil
from tests.support import tablet

pytestmark = pytest.mark.browser

CATEGORIES = ("issuance_reserved", "pin_reset", "certificate_renewal")


def counts_sent(tab: Any, database_url: str, session: int) -> dict[str, int]:
    """The session's totals in the database once the tablet's sync loop has sent its taps."""
    tablet.synced(tab, timeout=15000)  # taps are answered on the tablet (outbox first)
    return tablet.db_totals(database_url, session)


def test_operator_counts_corrects_and_files_an_incident(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """Taps in three categories and one correction show the same totals as the database."""
    tab, problems, data = tablet.signed_in_session(page, live_server)
    tab.goto("/field")
    tab.get_by_test_id("session-link").first.click()
    tab.get_by_test_id("open-session").click()
    expect(tab.get_by_test_id("session-status")).to_have_text("開設中")

    taps = {"issuance_reserved": 3, "pin_reset": 2, "certificate_renewal": 1}
    for code, times in taps.items():
        tablet.tap(tab, code, times)
    tab.once("dialog", lambda dialog: dialog.accept())
    tab.get_by_test_id("minus-issuance_reserved").click()
    expect(tablet.total(tab, "issuance_reserved")).to_have_text("2")
    expect(tab.get_by_test_id("grand-total")).to_have_text("5")
    in_db = counts_sent(tab, database_url, data["session"])
    on_screen = {code: int(tablet.total(tab, code).inner_text()) for code in CATEGORIES}
    assert in_db == on_screen == {"issuance_reserved": 2, "pin_reset": 2, "certificate_renewal": 1}

    tab.get_by_test_id("report-incident").click()
    tablet.fill_incident(
        tab, "equipment_failure", "medium", "写真用プリンターが紙詰まり。予備機に切替。"
    )
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
    tab, problems, data = tablet.signed_in_session(page, live_server)
    tab.goto(f"/incidents/new?work_session_id={data['session']}&site_id=1")
    posts: list[str] = []
    tab.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    tablet.fill_incident(tab, "complaint", "low", "お客様の番号は１２３４ ５６７８ ９０１８です")
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
    tab, problems, data = tablet.signed_in_session(page, live_server, opened=True)
    held: list[Any] = []
    # The first visit is not fetched through the worker, so the page's own module can be held.
    tab.route("**/static/js/field.js", lambda route: held.append(route))
    tab.goto(f"/field/sessions/{data['session']}", wait_until="commit")
    tab.get_by_test_id("plus-issuance_reserved").click()
    tab.get_by_test_id("plus-issuance_reserved").click()
    tab.get_by_test_id("plus-pin_reset").click()
    assert len(held) == 1 and tablet.total(tab, "issuance_reserved").inner_text() == "0"
    held[0].continue_()
    expect(tablet.total(tab, "issuance_reserved")).to_have_text("2")
    expect(tablet.total(tab, "pin_reset")).to_have_text("1")
    assert counts_sent(tab, database_url, data["session"]) == {
        "issuance_reserved": 2,
        "pin_reset": 1,
    }
    assert problems.all() == []
