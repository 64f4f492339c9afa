"""A refusal on the tablet never costs what the person is typing, and a refused change can be
dropped from the tablet's list while the server's review screen keeps it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests import dbutil
from tests.support import refusals, tablet
from tests.support.browser import PageProblems

pytestmark = pytest.mark.browser

RELOAD_NOTICE = (
    "この事故・トラブルの変更が受け付けられませんでした。"
    "入力中の内容を保存してから再読み込みしてください。"
)
KEPT_FOR_REVIEW = "この一覧から消しても、責任者の確認画面には残ります。"


def refuse_a_closing(tab: Any, live_server: str) -> tuple[dict[str, Any], str]:
    """完了 saved offline on an incident the office then makes high: refused once online."""
    data, uid = refusals.incident_page(tab, live_server, "medium")
    tab.context.set_offline(True)
    tab.reload()
    tab.get_by_test_id("edit-form").locator("select[name=status]").select_option("closed")
    tab.get_by_test_id("save-incident").click()
    tab.wait_for_url(f"**/incidents/{uid}")
    expect(tab.get_by_test_id("field-status")).to_have_text("完了")
    refusals.raise_severity(uid, data["operator"])
    return data, uid


def test_a_refusal_while_typing_keeps_the_input(
    page: tuple[Any, PageProblems], live_server: str, database_url: str
) -> None:
    """Typing in 応急対応 when the refusal comes: no reload, the text stays, a notice says why."""
    tab, problems = page
    _data, uid = refuse_a_closing(tab, live_server)
    form = tab.get_by_test_id("edit-form")
    typed = "受付を二列にして待ち時間を案内した。"
    form.locator("textarea[name=immediate_action]").fill(typed)
    tab.evaluate("window.sameDocument = true")

    tab.context.set_offline(False)
    notice = tab.get_by_test_id("refused-reload")
    expect(notice).to_contain_text(RELOAD_NOTICE, timeout=20000)
    expect(form.locator("textarea[name=immediate_action]")).to_have_value(typed)
    assert tab.evaluate("window.sameDocument === true")
    # The refused field goes back to the server's value and is marked, as after a reload.
    expect(form.locator("select[name=status]")).to_have_value("open")
    expect(tab.get_by_test_id("refused-status")).to_contain_text(refusals.PREVENTION_REQUIRED)
    expect(notice.get_by_test_id("reload-page")).to_be_visible()
    refusals.shots(tab, "refused-while-typing")

    # Saved, the typed text reaches the server; then the reload shows the office's change.
    tab.get_by_test_id("save-incident").click()
    tab.wait_for_url(f"**/incidents/{uid}")
    tablet.synced(tab)
    row = dbutil.fetch(database_url, f"SELECT immediate_action FROM incident WHERE uid = '{uid}'")
    assert row == [(typed,)]
    assert refusals.incident_version(database_url, uid) == ("open", "high", 3)
    assert tablet.unexpected(problems) == []


def test_without_typing_the_page_reloads(
    page: tuple[Any, PageProblems], live_server: str, database_url: str
) -> None:
    """Nothing typed: the refusal brings the server's page again, with no notice."""
    tab, problems = page
    refuse_a_closing(tab, live_server)
    tab.evaluate("window.sameDocument = true")

    tab.context.set_offline(False)
    expect(tab.get_by_test_id("field-version")).to_have_text("2", timeout=20000)
    expect(tab.get_by_test_id("field-severity")).to_have_text("高")
    expect(tab.get_by_test_id("refused-status")).to_contain_text(refusals.PREVENTION_REQUIRED)
    assert tab.evaluate("window.sameDocument === undefined")
    expect(tab.get_by_test_id("refused-reload")).to_have_count(0)
    assert tablet.unexpected(problems) == []


def test_a_refused_change_is_dropped_from_the_list(
    page: tuple[Any, PageProblems], live_server: str, database_url: str
) -> None:
    """「一覧から消す」, confirmed: gone from the tablet for good, kept for the supervisor."""
    tab, problems, _ = refusals.tap_then_session_closed(page, live_server)

    tab.context.set_offline(False)
    refused = tab.get_by_test_id("refused-list")
    expect(refused.get_by_test_id("refused-op")).to_have_count(1, timeout=20000)
    [op] = [op for op in tab.evaluate(refusals.ALL_OPS) if op.get("status") == "rejected"]
    refused.locator("summary").click()
    asked: list[str] = []

    def confirm(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    tab.once("dialog", confirm)
    refused.get_by_test_id("refused-drop").click()

    expect(tab.get_by_test_id("refused-op")).to_have_count(0)
    expect(tab.get_by_test_id("refused-list")).to_have_count(0)
    expect(tab.get_by_test_id("sync-error")).not_to_contain_text("受け付けられませんでした")
    assert len(asked) == 1 and KEPT_FOR_REVIEW in asked[0]
    assert [o for o in tab.evaluate(refusals.ALL_OPS) if o.get("status") == "rejected"] == []

    tab.reload()
    expect(tab.get_by_test_id("sync-status")).to_have_attribute("data-state", "ok")
    assert [o for o in tab.evaluate(refusals.ALL_OPS) if o.get("status") == "rejected"] == []
    expect(tab.get_by_test_id("refused-op")).to_have_count(0)
    issues = dbutil.fetch(
        database_url, f"SELECT status, code FROM sync_issue WHERE op_id = '{op['op_id']}'"
    )
    assert issues == [("rejected", "session_not_open")]
    assert tablet.unexpected(problems) == []
