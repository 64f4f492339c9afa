"""Every page of the menu fits a phone and a landscape tablet: no sideways scrolling, the
header on one line with its menu, a session's counters in view on the tablet, and no
serious or critical axe-core finding. Screenshots go to test-results/screenshots/ (or
MADOGUCHI_SHOTS), for a reviewer to look at."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import tablet
from tests.support.browser import open_menu
from tests.support.layout import SIZES, check_page

pytestmark = pytest.mark.browser

OPERATOR_MENU = [
    "nav-field",
    "nav-work-sessions",
    "nav-incidents",
    "nav-sites",
    "nav-reconciliation",
    "nav-journal",
    "nav-monthly-report",
]
MANAGER_ONLY = ["nav-staff", "nav-devices", "nav-review", "nav-dashboard"]


def _check_page(tab: Any, name: str) -> list[str]:
    return check_page(tab, f"layout-{name}")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_menu_page_fits_a_phone_and_a_tablet(
    page: tuple[Any, Any], live_server: str, language: str
) -> None:
    """An operator's menu pages and a manager's, in either language."""
    tab, problems, data = tablet.field_online(page, live_server)
    if language == "en":
        open_menu(tab)
        tab.get_by_test_id("lang-toggle").click()
        tab.wait_for_selector("html[lang=en]")
    found = _check_page(tab, f"{language}-field-session")
    tab.goto(f"/incidents/new?work_session_id={data['session']}&site_id=1")
    found += _check_page(tab, f"{language}-incident-form")
    for link in OPERATOR_MENU:
        tab.set_viewport_size({"width": SIZES["phone"][0], "height": SIZES["phone"][1]})
        open_menu(tab)
        for hidden in MANAGER_ONLY:
            expect(tab.get_by_test_id(hidden)).to_have_count(0)
        tab.get_by_test_id(link).click()
        tab.wait_for_load_state()
        found += _check_page(tab, f"{language}-{link}")

    tab.context.add_cookies(
        [
            {
                "name": "madoguchi_session",
                "value": tablet.login_cookie("overall_manager", data["manager"]),
                "url": live_server,
            }
        ]
    )
    for link in MANAGER_ONLY:
        tab.set_viewport_size({"width": SIZES["phone"][0], "height": SIZES["phone"][1]})
        tab.goto("/")
        open_menu(tab)
        tab.get_by_test_id(link).click()
        tab.wait_for_load_state()
        found += _check_page(tab, f"{language}-{link}")
    assert found == []
    assert tablet.unexpected(problems) == []


@pytest.mark.parametrize(
    ("venue", "language", "first"),
    [
        (None, "en", "issuance_reserved"),
        ("reception", "ja", "visitors"),
        ("support", "en", "visitors"),
    ],
)
def test_a_sessions_counters_are_in_view_on_a_landscape_tablet(
    page: tuple[Any, Any], live_server: str, venue: str | None, language: str, first: str
) -> None:
    """1024 × 768: every counter of the open session, buttons included, without scrolling,
    at a counter (15 categories) and at either kind of venue (13 and 10, longer labels);
    the menu opens over the page and closes again."""
    tab, problems, _data = tablet.field_online(page, live_server, venue)
    tab.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    tab.set_viewport_size({"width": 1024, "height": 768})
    tab.reload()
    tab.evaluate("window.scrollTo(0, 0)")
    counters = tab.locator(".counter")
    assert counters.count() >= 10
    lowest = tab.evaluate(
        "Math.max(...[...document.querySelectorAll('.counter')]"
        ".map((c) => c.getBoundingClientRect().bottom + window.scrollY))"
    )
    assert lowest <= 768, f"the last counter ends at {lowest} px"
    assert check_page(tab, f"layout-counters-{venue or 'office'}-{language}") == []
    tab.set_viewport_size({"width": 1024, "height": 768})
    expect(tab.get_by_test_id(f"plus-{first}")).to_be_in_viewport()
    open_menu(tab)
    expect(tab.get_by_test_id("nav-incidents")).to_be_visible()
    tab.get_by_test_id("menu-button").click()
    expect(tab.get_by_test_id("nav-incidents")).to_be_hidden()
    assert tablet.unexpected(problems) == []
