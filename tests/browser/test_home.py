"""The home page in a real browser."""

from typing import Any

import pytest

from tests.fixed_sites import FIXED_EN, FIXED_JA

pytestmark = pytest.mark.browser


def site_names(page: Any) -> list[str]:
    """Names shown in the site list, in order."""
    return [name.strip() for name in page.locator(".card-title").all_inner_texts()]


def test_home_japanese_then_english_and_back(page: tuple[Any, Any]) -> None:
    """Japanese by default with the five sites; the toggle switches to English and back, cleanly."""
    tab, problems = page
    tab.goto("/")
    assert tab.locator("html").get_attribute("lang") == "ja"
    assert site_names(tab)[:5] == FIXED_JA
    assert tab.evaluate("typeof htmx !== 'undefined' && htmx.config.allowEval === false")

    tab.get_by_test_id("lang-toggle").click()
    tab.wait_for_selector("html[lang=en]")
    assert site_names(tab)[:5] == FIXED_EN

    tab.reload()
    assert tab.locator("html").get_attribute("lang") == "en", "the choice persists"

    tab.get_by_test_id("lang-toggle").click()
    tab.wait_for_selector("html[lang=ja]")
    assert site_names(tab)[:5] == FIXED_JA
    assert problems.all() == []


def test_tap_targets_are_tablet_sized(page: tuple[Any, Any]) -> None:
    """Buttons and site cards are at least 44 CSS pixels tall on a tablet screen."""
    tab, _ = page
    tab.set_viewport_size({"width": 800, "height": 1280})
    tab.goto("/")
    heights = tab.evaluate(
        "[...document.querySelectorAll('button, .card')].map(e => e.getBoundingClientRect().height)"
    )
    assert heights
    assert min(heights) >= 44
