"""Clearing a shared tablet's data warns about unsent ops and offers the file first."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import tablet

pytestmark = pytest.mark.browser

STORED = """async () => ({
  databases: (await indexedDB.databases()).map((d) => d.name),
  caches: (await caches.keys()).filter((name) => name.startsWith('madoguchi-')),
  workers: (await navigator.serviceWorker.getRegistrations()).length,
})"""


def test_clear_with_unsent_ops_warns_offers_export_then_clears(
    page: tuple[Any, Any], live_server: str
) -> None:
    """Unsent ops: the warning gives their count; cancel keeps them; export, then clear."""
    tab, problems, _ = tablet.field_online(page, live_server)
    tablet.unsent_taps(tab, "issuance_reserved", 3)

    dialog = tab.get_by_test_id("clear-dialog")
    tab.get_by_test_id("clear-data").click()
    expect(dialog).to_be_visible()
    expect(tab.get_by_test_id("clear-warning")).to_have_text(
        "未送信の記録が3件あります。この端末のデータを消去すると削除されます。"
        "先にファイルに保存してください。"
    )
    expect(tab.get_by_test_id("clear-confirm")).to_have_text("未送信の3件を削除して消去")
    tab.get_by_test_id("clear-cancel").click()
    expect(dialog).to_be_hidden()
    assert len(tab.evaluate(tablet.OUTBOX)) == 3

    tab.get_by_test_id("clear-data").click()
    with tab.expect_download() as download:
        tab.get_by_test_id("clear-export").click()
    exported = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert [op["type"] for op in exported["ops"]] == ["headcount.add"] * 3
    assert len(tab.evaluate(tablet.OUTBOX)) == 3

    tab.get_by_test_id("clear-confirm").click()
    tab.wait_for_url(f"{live_server}/")
    assert tab.evaluate(STORED) == {"databases": [], "caches": [], "workers": 0}
    aborted = "net::ERR_CONNECTION_REFUSED"
    assert [p for p in tablet.unexpected(problems) if aborted not in p] == []
