"""The checklists page on a phone and a tablet: every kind of site's opening and closing
checks with their retire buttons, and the form to add one; no serious axe finding."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import tablet
from tests.support.layout import check_page

pytestmark = pytest.mark.browser


def test_the_checklists_page_fits_and_adds_a_check(page: tuple[Any, Any], live_server: str) -> None:
    """A manager adds a closing check at venues; it is listed there at once."""
    tab, problems = page
    tablet.signed_in(tab, live_server, tablet.login_cookie("overall_manager"))
    tab.goto("/sites/checks")
    expect(tab.get_by_test_id("checks-office-close")).to_contain_text("金庫を施錠した")
    found = check_page(tab, "checklists")
    form = tab.get_by_test_id("add-check")
    form.locator("select[name=site_group]").select_option("support")
    form.locator("select[name=phase]").select_option("close")
    form.locator("input[name=label_ja]").fill("会場の忘れ物を確認した")
    form.get_by_role("button").click()
    expect(tab.get_by_test_id("checks-support-close")).to_contain_text("会場の忘れ物を確認した")
    assert found == []
    assert tablet.unexpected(problems) == []
