"""An operator's whole day, as a new user would go through it, on a phone and on a landscape
tablet, in Japanese and in English: today's sessions, the session, starting it, counting,
filing an incident, reading it back, finishing with the totals confirmed, signing out.

Every page on the way fits 360, 390 and 1024 px without sideways scrolling, has no serious
or critical axe-core finding, and is photographed at both sizes into
test-results/screenshots/ (or MADOGUCHI_SHOTS; not committed, for a reviewer)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from server.common.clock import JST
from server.common.dates import long_date
from tests.support import tablet
from tests.support.layout import SIZES, check_page

pytestmark = pytest.mark.browser

WORDS = {
    "ja": {"open": "開設中", "closed": "終了", "slot": "この時間帯", "total": "合計"},
    "en": {"open": "Open now", "closed": "Finished", "slot": "This slot", "total": "Total"},
}


@pytest.mark.parametrize("language", ["ja", "en"])
def test_an_operators_day_on_a_phone_and_a_tablet(
    page: tuple[Any, Any], live_server: str, language: str
) -> None:
    """From 本日の業務 to signing out, every page fits and reads in the chosen language."""
    tab, problems = page
    words = WORDS[language]
    data = tablet.today_session()
    session = int(data["session"])
    tablet.signed_in(tab, live_server, data["cookie"])
    tab.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    name = f"day-{language}"
    found: list[str] = []

    tab.goto("/field")
    today = dt.datetime.now(JST).date()
    expect(tab.locator("h1")).to_contain_text(long_date(today, language))
    expect(tab.locator("html")).to_have_attribute("lang", language)
    found += check_page(tab, f"{name}-1-today")

    tab.get_by_test_id("session-link").click()
    expect(tab.get_by_test_id("session-head")).to_have_attribute("data-status", "planned")
    found += check_page(tab, f"{name}-2-session-planned")

    tab.get_by_test_id("open-session").click()
    expect(tab.get_by_test_id("session-status")).to_have_text(words["open"])
    tablet.ready_for_offline(tab)
    for code, taps in (("issuance_reserved", 2), ("pin_reset", 1)):
        for n in range(1, taps + 1):
            tab.get_by_test_id(f"plus-{code}").click()
            expect(tablet.total(tab, code)).to_have_text(str(n))
    # Each number under its own caption (the slot's count may have moved on to a new slot).
    counter = tab.locator('.counter[data-category="issuance_reserved"]')
    expect(counter.locator(".counter-now")).to_have_text(re.compile(rf"^{words['slot']} [0-2]$"))
    expect(counter.locator(".counter-total")).to_have_text(f"{words['total']} 2")
    tablet.synced(tab)
    found += check_page(tab, f"{name}-3-session-counting")
    # On the landscape tablet every counter, buttons included, is in view without scrolling.
    tab.set_viewport_size({"width": SIZES["tablet"][0], "height": SIZES["tablet"][1]})
    lowest = tab.evaluate(
        "Math.max(...[...document.querySelectorAll('.counter')]"
        ".map((c) => c.getBoundingClientRect().bottom + window.scrollY))"
    )
    assert lowest <= SIZES["tablet"][1], f"the last counter ends at {lowest} px"
    tab.set_viewport_size({"width": SIZES["phone"][0], "height": SIZES["phone"][1]})

    tab.get_by_test_id("report-incident").click()
    form = tab.get_by_test_id("incident-form")
    expect(form).to_be_visible()
    chosen = tab.get_by_test_id("session-choice").locator("option:checked")
    expect(chosen).to_have_attribute("value", str(session))
    found += check_page(tab, f"{name}-4-incident-form")
    form.locator("select[name=category]").select_option("complaint")
    form.locator("textarea[name=description]").fill("待ち時間が長いとの苦情。整理券の案内を強化。")
    form.locator("button[type=submit]").first.click()
    expect(tab.get_by_test_id("field-description")).to_have_text(
        "待ち時間が長いとの苦情。整理券の案内を強化。"
    )
    expect(tab.get_by_test_id("field-work_session_id")).to_contain_text(long_date(today, language))
    found += check_page(tab, f"{name}-5-incident")

    tab.goto(f"/field/sessions/{session}")
    expect(tab.get_by_test_id("incident-link")).to_have_count(1)
    tab.get_by_test_id("close-session").click()
    expect(tab.get_by_test_id("close-total-issuance_reserved")).to_have_text("2")
    expect(tab.get_by_test_id("close-grand-total")).to_have_text("3")
    found += check_page(tab, f"{name}-6-finish-confirm")
    tab.get_by_test_id("confirm-close").click()
    expect(tab.get_by_test_id("session-status")).to_have_text(words["closed"])
    tablet.synced(tab)
    found += check_page(tab, f"{name}-7-finished")

    tab.goto("/field")
    found += check_page(tab, f"{name}-8-today-after")
    assert found == []
    assert tablet.unexpected(problems) == []
