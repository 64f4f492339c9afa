"""The tablet's sync panel: offline and an unreachable server are said calmly, a send that
did not go through says when it tries again, and nothing waiting is lost meanwhile."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import tablet

pytestmark = pytest.mark.browser

OFFLINE = "オフラインです。入力はこの端末に保存され、接続が戻ると送信されます。"
UNREACHABLE = "サーバーに接続できません。入力はこの端末に保存され、接続が戻ると送信されます。"
FAILED = "今回は送信できませんでした。記録はこの端末に保存されています。"
RETRY = re.compile(r"\d{1,2}:\d{2}:\d{2}に再送します。$")
INK = "rgb(29, 35, 48)"  # app.css --ink: the page's ordinary text colour
COLOUR = "(element) => [getComputedStyle(element).color, getComputedStyle(element).fontWeight]"


def _calm(tab: Any) -> None:
    """The panel's message is in ordinary text, not an alarm."""
    assert tab.get_by_test_id("sync-error").evaluate(COLOUR) == [INK, "400"]


def test_offline_after_a_reload_is_a_calm_normal_state(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """Reloaded offline: 「オフラインです…」 in plain text, the offline-ready line stays."""
    tab, problems, data = tablet.field_online(page, live_server)
    tab.context.set_offline(True)
    tab.reload()
    status = tab.get_by_test_id("sync-status")
    expect(status).to_have_attribute("data-state", "offline")
    tab.get_by_test_id("plus-issuance_reserved").click()
    expect(tab.get_by_test_id("sync-pending")).to_have_text("未送信: 1件")
    expect(tab.get_by_test_id("sync-error")).to_have_text(OFFLINE)
    expect(tab.get_by_test_id("sync-ready")).to_have_text("オフラインで使用できます")
    _calm(tab)
    tab.context.set_offline(False)
    tablet.synced(tab)
    expect(status).to_have_attribute("data-state", "ok")
    expect(tab.get_by_test_id("sync-error")).to_have_text("")
    assert tablet.db_totals(database_url, data["session"]) == {"issuance_reserved": 1}
    assert tablet.unexpected(problems) == []


def test_an_unreachable_server_is_calm_and_says_when_it_tries_again(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """Online but no answer (a venue's Wi-Fi without internet): calm words, the time of the
    next try; once the server answers again the tap arrives, once."""
    tab, problems, data = tablet.field_online(page, live_server)
    tab.context.route("**/api/sync/push", lambda route: route.abort("internetdisconnected"))
    tab.get_by_test_id("plus-issuance_reserved").click()
    status = tab.get_by_test_id("sync-status")
    expect(status).to_have_attribute("data-state", "unreachable")
    error = tab.get_by_test_id("sync-error")
    expect(error).to_contain_text(UNREACHABLE)
    expect(error).to_have_text(re.compile(re.escape(UNREACHABLE) + r" " + RETRY.pattern))
    _calm(tab)
    tab.context.unroute("**/api/sync/push")
    tablet.synced(tab, timeout=30000)
    expect(status).to_have_attribute("data-state", "ok")
    assert tablet.db_totals(database_url, data["session"]) == {"issuance_reserved": 1}
    assert [p for p in tablet.unexpected(problems) if "push" not in p] == []


def test_a_send_that_did_not_go_through_says_when_it_tries_again(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """The server answered 503: one line saying the changes are kept and when the next try
    is; the retry sends them."""
    tab, problems, data = tablet.field_online(page, live_server)
    tab.context.route("**/api/sync/push", lambda route: route.fulfill(status=503, body="busy"))
    tab.get_by_test_id("plus-pin_reset").click()
    status = tab.get_by_test_id("sync-status")
    expect(status).to_have_attribute("data-state", "failed")
    error = tab.get_by_test_id("sync-error")
    expect(error).to_have_text(re.compile(re.escape(FAILED) + r" " + RETRY.pattern))
    _calm(tab)
    assert len(tab.evaluate(tablet.OUTBOX)) == 1
    tab.context.unroute("**/api/sync/push")
    tablet.synced(tab, timeout=30000)
    expect(status).to_have_attribute("data-state", "ok")
    expect(error).to_have_text("")
    assert tablet.db_totals(database_url, data["session"]) == {"pin_reset": 1}
    assert [p for p in tablet.unexpected(problems) if "503" not in p] == []
