"""An app update while taps are unsent: the new worker waits, then every op still syncs."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import tablet
from tests.support.browser import wait_until

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
NEW_WORKER_WAITS = """async () =>
  Boolean((await navigator.serviceWorker.getRegistration('/')).waiting)"""
NEW_WORKER_CONTROLS = """() =>
  (navigator.serviceWorker.controller?.scriptURL ?? '').endsWith('?update=2')"""


def pushed_ops(request: Any) -> int:
    """How many ops a push request carries (0 for any other request)."""
    if not request.url.endswith("/api/sync/push"):
        return 0
    body = request.post_data_buffer
    if request.headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return len(json.loads(body)["ops"])


def test_update_waits_for_the_outbox_and_loses_nothing(
    field_tablet: tablet.FieldTablet, database_url: str
) -> None:
    """A new worker installed with ops unsent waits; once they sync it takes over."""
    tab, problems, session = field_tablet

    tablet.unsent_taps(tab, "issuance_reserved", 7)
    sent_before = [op["op_id"] for op in tab.evaluate(tablet.OUTBOX)]
    assert len(sent_before) == 7

    tab.evaluate(UPDATE)
    wait_until(tab, NEW_WORKER_WAITS)
    workers = tab.evaluate(WORKERS)
    assert workers["waiting"].endswith("/sw.js?update=2")
    assert workers["controller"].endswith("/sw.js")
    expect(tab.get_by_test_id("sync-status")).to_have_attribute("data-update", "waiting")
    # The old worker still answers taps while the new one waits, also once the sync loop
    # has tried (and failed) to send all ten.
    with tab.expect_request(lambda request: pushed_ops(request) == 10):
        tablet.tap(tab, "pin_reset", 3)
    assert tab.evaluate(WORKERS)["waiting"], "the new worker took over with ops unsent"
    outbox = tab.evaluate(tablet.OUTBOX)
    assert len(outbox) == 10

    tab.unroute("**/api/sync/push")
    tab.evaluate("() => window.dispatchEvent(new Event('online'))")
    tablet.synced(tab)
    tab.wait_for_function(NEW_WORKER_CONTROLS, timeout=20000)
    assert tab.evaluate(WORKERS)["waiting"] is None
    assert tablet.db_totals(database_url, session) == {"issuance_reserved": 7, "pin_reset": 3}

    # The new worker answers taps and they sync too.
    tab.get_by_test_id("plus-issuance_reserved").click()
    expect(tablet.total(tab, "issuance_reserved")).to_have_text("8")
    tablet.synced(tab)
    assert tablet.db_totals(database_url, session) == {"issuance_reserved": 8, "pin_reset": 3}
    aborted = "net::ERR_CONNECTION_REFUSED"
    assert [p for p in tablet.unexpected(problems) if aborted not in p] == []


def test_unsent_taps_exported_and_uploaded_count_once(
    field_tablet: tablet.FieldTablet, database_url: str
) -> None:
    """A tablet that cannot sync saves its outbox to a file; uploaded, then synced: once."""
    tab, problems, session = field_tablet
    tablet.unsent_taps(tab, "certificate_renewal", 4)
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
    assert tablet.db_totals(database_url, session) == {"certificate_renewal": 4}

    tab.unroute("**/api/sync/push")
    tab.goto(f"/field/sessions/{session}")
    tablet.synced(tab)
    assert tablet.db_totals(database_url, session) == {"certificate_renewal": 4}
    expect(tablet.total(tab, "certificate_renewal")).to_have_text("4")
    aborted = "net::ERR_CONNECTION_REFUSED"
    assert [p for p in tablet.unexpected(problems) if aborted not in p] == []
