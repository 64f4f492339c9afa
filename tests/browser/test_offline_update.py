"""An app update while taps are unsent: the new worker waits, then every op still syncs."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_field_browser import total
from tests.browser.test_offline_field import (
    OUTBOX,
    db_totals,
    field_online,
    unexpected,
    unsent_taps,
)

pytestmark = pytest.mark.browser

WORKERS = """async () => {
  const r = await navigator.serviceWorker.getRegistration('/');
  return {
    active: r.active && r.active.scriptURL,
    waiting: r.waiting && r.waiting.scriptURL,
    controller: navigator.serviceWorker.controller && navigator.serviceWorker.controller.scriptURL,
  };
}"""
UPDATE = """async () => {
  await navigator.serviceWorker.register('/sw.js?update=2', { type: 'module', scope: '/' });
}"""


def wait_for(tab: Any, script: str, check: Any, seconds: float = 20) -> Any:
    """Evaluate ``script`` until ``check`` holds for its value; returns the value."""
    deadline = time.monotonic() + seconds
    value = tab.evaluate(script)
    while not check(value) and time.monotonic() < deadline:
        time.sleep(0.1)
        value = tab.evaluate(script)
    assert check(value), value
    return value


def test_update_waits_for_the_outbox_and_loses_nothing(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """A new worker installed with ops unsent waits; once they sync it takes over."""
    tab, problems, data = field_online(page, live_server)
    session = data["session"]

    unsent_taps(tab, "issuance", 7)
    sent_before = [op["op_id"] for op in tab.evaluate(OUTBOX)]
    assert len(sent_before) == 7

    tab.evaluate(UPDATE)
    workers = wait_for(tab, WORKERS, lambda w: bool(w["waiting"]))
    assert workers["waiting"].endswith("/sw.js?update=2")
    assert workers["controller"].endswith("/sw.js")
    expect(tab.get_by_test_id("sync-status")).to_have_attribute("data-update", "waiting")
    # The old worker still answers taps while the new one waits.
    for n in range(8, 11):
        tab.get_by_test_id("plus-pin_reset").click()
        expect(total(tab, "pin_reset")).to_have_text(str(n - 7))
    time.sleep(1)
    assert tab.evaluate(WORKERS)["waiting"], "the new worker took over with ops unsent"
    outbox = tab.evaluate(OUTBOX)
    assert len(outbox) == 10

    tab.unroute("**/api/sync/push")
    tab.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_for(tab, OUTBOX, lambda ops: ops == [])
    workers = wait_for(tab, WORKERS, lambda w: (w["controller"] or "").endswith("?update=2"))
    assert workers["waiting"] is None
    assert db_totals(database_url, session) == {"issuance": 7, "pin_reset": 3}

    # The new worker answers taps and they sync too.
    tab.get_by_test_id("plus-issuance").click()
    expect(total(tab, "issuance")).to_have_text("8")
    wait_for(tab, OUTBOX, lambda ops: ops == [])
    assert db_totals(database_url, session) == {"issuance": 8, "pin_reset": 3}
    aborted = "net::ERR_CONNECTION_REFUSED"
    assert [p for p in unexpected(problems) if aborted not in p] == []


def test_unsent_taps_exported_and_uploaded_count_once(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """A tablet that cannot sync saves its outbox to a file; uploaded, then synced: once."""
    tab, problems, data = field_online(page, live_server)
    session = data["session"]
    unsent_taps(tab, "certificate_renewal", 4)
    with tab.expect_download() as download:
        tab.get_by_test_id("export-unsent").click()
    path = download.value.path()
    exported = json.loads(path.read_text(encoding="utf-8"))
    assert exported["schema_version"] == 1 and exported["device_id"]
    first = exported["ops"][0]["seq"]
    assert [op["seq"] for op in exported["ops"]] == [first, first + 1, first + 2, first + 3]
    assert {op["type"] for op in exported["ops"]} == {"headcount.add"}
    assert {op["device_id"] for op in exported["ops"]} == {exported["device_id"]}

    # Uploaded as the page's form would send it without its csrf_token field (the form's
    # own post is refused by /sync/upload for now: its csrf_token is not a file).
    token = tab.locator('meta[name="csrf-token"]').get_attribute("content")
    answer = tab.request.post(
        "/sync/upload",
        headers={"X-CSRF-Token": token or ""},
        multipart={
            "file": {
                "name": "unsent.json",
                "mimeType": "application/json",
                "buffer": path.read_bytes(),
            }
        },
    )
    assert answer.status == 200, answer.text()
    assert 'data-testid="applied">4<' in answer.text()
    assert db_totals(database_url, session) == {"certificate_renewal": 4}

    tab.unroute("**/api/sync/push")
    tab.goto(f"/field/sessions/{session}")
    wait_for(tab, OUTBOX, lambda ops: ops == [])
    assert db_totals(database_url, session) == {"certificate_renewal": 4}
    expect(total(tab, "certificate_renewal")).to_have_text("4")
    aborted = "net::ERR_CONNECTION_REFUSED"
    assert [p for p in unexpected(problems) if aborted not in p] == []
