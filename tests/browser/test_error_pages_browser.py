"""Error pages in Chromium on a phone: a forbidden page and a missing one, in Japanese,
with a way back, and nothing axe-core calls serious or critical."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from server import db
from server.auth import service as auth_service
from server.settings import Settings
from tests import dbutil
from tests.support import tablet
from tests.support.identities import make_staff

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# Chromium logs the error status of the page it was sent to; that is what is tested here.
EXPECTED = re.compile(r"status of 40[34]|^40[34] http://127\.0\.0\.1:\d+/(staff|no-such-page)$")


async def _operator_cookie(settings: Settings) -> str:
    db.bind_engine(db.make_engine(settings.database))
    operator = await make_staff("operator")
    async with db.writing():
        return await auth_service.create_login_session(operator, settings.auth)


def serious_violations(tab: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, as ``rule: targets``."""
    from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

    results = Axe().run(tab)
    assert results.response["passes"], "axe checked nothing"
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_forbidden_and_missing_pages_read_in_japanese_on_a_phone(
    page: tuple[Any, Any], live_server: str
) -> None:
    """An operator opening the staff page, then a path nobody serves: each time a Japanese
    page with the right status, a link to 本日の業務 that works, and no serious axe finding;
    the missing page's language toggle turns it English."""
    tab, problems = page
    tab.set_viewport_size(PHONE)
    cookie = dbutil.run_coroutine(_operator_cookie(Settings.from_env()))
    tablet.signed_in(tab, live_server, cookie)

    answer = tab.goto("/staff")
    assert answer is not None and answer.status == 403
    expect(tab.locator("h1")).to_have_text("アクセスできません")
    expect(tab.get_by_test_id("error-message")).to_have_text("この操作を行う権限がありません。")
    expect(tab.get_by_test_id("error-hint")).to_have_text(
        "必要な場合は、責任者に依頼してください。"
    )
    assert serious_violations(tab) == []
    tab.get_by_test_id("error-today").click()
    tab.wait_for_url(f"{live_server}/field")

    answer = tab.goto("/no-such-page")
    assert answer is not None and answer.status == 404
    expect(tab.locator("h1")).to_have_text("ページが見つかりません")
    expect(tab.get_by_test_id("error-message")).to_contain_text(
        "このアドレスのページはありません。"
    )
    expect(tab.get_by_test_id("error-home")).to_have_text("ホーム")
    expect(tab.get_by_test_id("error-today")).to_have_text("本日の業務")
    assert serious_violations(tab) == []
    tab.get_by_test_id("lang-toggle").click()  # the page's own form, its token included
    expect(tab.locator("h1")).to_have_text("Page not found")
    expect(tab.get_by_test_id("error-today")).to_have_text("Today")
    assert [p for p in problems.all() if not EXPECTED.search(p)] == []
