"""An incident filed offline: confirmed once, and in the session's list at once, marked not
sent; after syncing and a reload it is listed once, as the server's."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests import dbutil
from tests.support import tablet
from tests.support.browser import SERIOUS, axe_violations, open_menu, wait_until

pytestmark = pytest.mark.browser

WORDS = {
    "ja": ("トラブル報告をこの端末に保存しました。接続が戻ると送信します。", "未送信", "機器故障"),
    "en": (
        "Incident report saved on this device. It will be sent when the connection returns.",
        "Not sent yet",
        "Equipment failure",
    ),
}
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
# The copy of this page the worker keeps for offline use lists the incident UID.
KEPT_WITH = """async () => {
  const kept = { cacheName: 'madoguchi-pages', ignoreVary: true };
  const page = await caches.match(location.href, kept);
  return Boolean(page) && (await page.text()).includes('data-uid="UID"');
}"""


def file_offline(tab: Any) -> str:
    """From the session page, offline: file an equipment failure; returns its uid."""
    tab.get_by_test_id("report-incident").click()
    form = tab.get_by_test_id("incident-form")
    uid = str(form.locator("input[name=uid]").input_value())
    form.locator("select[name=category]").select_option("equipment_failure")
    form.locator("textarea[name=description]").fill("写真用プリンターが紙詰まり。予備機に切替。")
    tab.get_by_test_id("file-incident").click()
    return uid


@pytest.mark.parametrize("language", ["ja", "en"])
def test_incident_filed_offline_shows_at_once(
    page: tuple[Any, Any], live_server: str, database_url: str, language: str
) -> None:
    """Filed offline: confirmed once and listed, marked not sent, in the page's language;
    once sent and the page reloaded (online or off), listed once as the server's."""
    saved, not_sent, label = WORDS[language]
    tab, problems, data = tablet.field_online(page, live_server)
    session = data["session"]
    if language == "en":
        open_menu(tab)
        tab.get_by_test_id("lang-toggle").click()
        tab.wait_for_selector("html[lang=en]")
        tablet.ready_for_offline(tab)
    section = tab.get_by_test_id("session-incidents")
    expect(section).to_have_attribute("data-local", "0")
    expect(section).to_be_hidden()

    tab.context.set_offline(True)
    uid = file_offline(tab)
    tab.wait_for_url(f"**/field/sessions/{session}")
    expect(tab.get_by_test_id("incident-saved")).to_have_text(saved)
    local = tab.get_by_test_id("incident-local")
    expect(local).to_have_count(1)
    expect(local).to_contain_text(label)
    expect(local.get_by_test_id("incident-unsent")).to_have_text(not_sent)
    expect(section).to_be_visible()
    tab.set_viewport_size({"width": 390, "height": 844})
    assert tab.evaluate(OVERFLOW) <= 1
    assert axe_violations(tab, SERIOUS) == []

    # Once: a later visit lists the report still, without the confirmation.
    tab.reload()
    expect(section).to_have_attribute("data-local", "1")
    expect(local.get_by_test_id("incident-unsent")).to_have_text(not_sent)
    expect(tab.get_by_test_id("incident-saved")).to_be_empty()

    tab.context.set_offline(False)
    tablet.synced(tab)
    expect(tab.get_by_test_id("incident-unsent")).to_have_count(0)
    assert dbutil.fetch(
        database_url, f"SELECT uid, category FROM incident WHERE work_session = {session}"
    ) == [(uid, "equipment_failure")]

    # Sent: the page kept offline is fetched again with it, so offline too it is the
    # server's (this tablet may forget the sent op).
    wait_until(tab, KEPT_WITH.replace("UID", uid))
    for offline in (True, False):
        tab.context.set_offline(offline)
        tab.reload()
        expect(section).to_have_attribute("data-local", "0")
        expect(section.locator("li")).to_have_count(1)
        link = tab.get_by_test_id("incident-link")
        expect(link).to_have_attribute("href", f"/incidents/{uid}")
        expect(link).to_contain_text(label)
        expect(tab.get_by_test_id("incident-unsent")).to_have_count(0)
        expect(tab.get_by_test_id("incident-saved")).to_be_empty()
    assert tablet.unexpected(problems) == []
