"""The field page offline: taps go to the IndexedDB outbox and sync by themselves, once."""

from __future__ import annotations

import gzip
import json
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import dbutil
from tests.support import tablet
from tests.support.browser import open_menu

pytestmark = pytest.mark.browser

# The counters as the tablet renders them, from the page's snapshot and its own ops.
LOCAL_COUNTERS = """async (session) => {
  const { snapshot, pending } = await import('/static/js/outbox.js');
  const { localState, renderCounters } = await import('/static/js/render.js');
  const { getAll } = await import('/static/js/idb.js');
  const snap = await snapshot(session);
  const ops = [...(await getAll('sent')), ...(await pending())];
  const box = document.createElement('div');
  box.innerHTML = renderCounters(snap, localState(snap, ops));
  const buttons = [...box.querySelectorAll('button')].map((b) => [
    b.dataset.testid, b.getAttribute('hx-post'),
    b.getAttribute('hx-vals'), b.getAttribute('hx-confirm'),
  ]);
  return { text: box.firstElementChild.textContent.replace(/\\s+/g, ' ').trim(), buttons };
}"""
SERVER_COUNTERS = """() => {
  const buttons = [...document.querySelectorAll('#counters button')].map((b) => [
    b.dataset.testid, b.getAttribute('hx-post'),
    b.getAttribute('hx-vals'), b.getAttribute('hx-confirm'),
  ]);
  const text = document.getElementById('counters').textContent.replace(/\\s+/g, ' ').trim();
  return { text, buttons };
}"""


def test_fifty_taps_offline_sync_exactly_once(
    field_tablet: tablet.FieldTablet, database_url: str
) -> None:
    """Offline: the SW serves the page and answers 50 taps; back online, they sync once."""
    tab, problems, session = field_tablet

    tab.context.set_offline(True)
    tab.reload()
    expect(tab.get_by_test_id("sync-status")).to_have_attribute("data-state", "offline")
    plan = ["issuance_reserved"] * 20 + ["pin_reset"] * 18 + ["certificate_renewal"] * 12
    plan = plan[::3] + plan[1::3] + plan[2::3]  # interleave categories
    counts: dict[str, int] = {}
    started = time.monotonic()
    for n, code in enumerate(plan, start=1):
        tab.get_by_test_id(f"plus-{code}").click()
        counts[code] = counts.get(code, 0) + 1
        expect(tablet.total(tab, code)).to_have_text(str(counts[code]))
        expect(tab.get_by_test_id("grand-total")).to_have_text(str(n))
    tap_seconds = time.monotonic() - started
    # A correction is counted; one that would go below zero is refused on the tablet.
    tab.once("dialog", lambda dialog: dialog.accept())
    tab.get_by_test_id("minus-pin_reset").click()
    counts["pin_reset"] -= 1
    expect(tablet.total(tab, "pin_reset")).to_have_text(str(counts["pin_reset"]))
    tab.once("dialog", lambda dialog: dialog.accept())
    tab.get_by_test_id("minus-card_update").click()
    expect(tab.get_by_test_id("count-error")).to_have_text("合計を0未満にすることはできません。")
    expect(tablet.total(tab, "card_update")).to_have_text("0")

    outbox = tab.evaluate(tablet.OUTBOX)
    assert len(outbox) == 51
    first = outbox[0]["seq"]
    assert [op["seq"] for op in outbox] == list(range(first, first + 51))
    assert {op["type"] for op in outbox} == {"headcount.add"}
    assert tablet.db_totals(database_url, session) == {}
    expect(tab.get_by_test_id("sync-pending")).to_have_text("未送信: 51件")

    tab.context.set_offline(False)
    back_online = time.monotonic()
    status = tab.get_by_test_id("sync-status")
    expect(status).to_have_attribute("data-pending", "0", timeout=20000)
    sync_seconds = time.monotonic() - back_online
    print(f"50 taps offline in {tap_seconds:.2f} s; synced {sync_seconds:.2f} s after reconnecting")
    expect(status).to_have_attribute("data-state", "ok")
    expect(tab.get_by_test_id("sync-last")).to_contain_text("最終同期")

    assert tablet.db_totals(database_url, session) == counts
    rows = dbutil.fetch(database_url, f"SELECT op_id FROM headcount WHERE work_session = {session}")
    assert sorted(str(r[0]) for r in rows) == sorted(op["op_id"] for op in outbox)
    # Reloaded online, the server's page shows the same totals (nothing counted twice).
    tab.reload()
    for code, n in counts.items():
        expect(tablet.total(tab, code)).to_have_text(str(n))
    # The tablet's rendering of the counters matches the server's, text and buttons.
    server = tab.evaluate(SERVER_COUNTERS)
    local = tab.evaluate(LOCAL_COUNTERS, session)
    assert local["text"] == server["text"]

    def normalize(rows: list[list[Any]]) -> list[list[Any]]:
        return [[r[0], r[1], json.loads(r[2]), r[3]] for r in rows]

    assert normalize(local["buttons"]) == normalize(server["buttons"])
    assert tap_seconds < 30, tap_seconds
    assert tablet.unexpected(problems) == []


def test_rapid_taps_are_all_counted(field_tablet: tablet.FieldTablet, database_url: str) -> None:
    """Taps faster than the answers (a queue of visitors) each count, online, exactly once."""
    tab, problems, session = field_tablet
    button = tab.get_by_test_id("plus-issuance_reserved")
    for _ in range(25):
        button.dispatch_event("click")
    expect(tablet.total(tab, "issuance_reserved")).to_have_text("25")
    expect(tab.get_by_test_id("sync-status")).to_have_attribute("data-pending", "0", timeout=20000)
    tablet.synced(tab)
    assert tablet.db_totals(database_url, session) == {"issuance_reserved": 25}
    assert tablet.unexpected(problems) == []


def test_sign_out_with_unsent_taps_asks_first_and_forgets_pages(
    field_tablet: tablet.FieldTablet,
) -> None:
    """Unsent ops make sign-out ask; signing out drops the cached pages, not the outbox."""
    tab, problems, _ = field_tablet
    tablet.unsent_taps(tab, "issuance_reserved", 3)
    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    tab.once("dialog", dismiss)
    with tab.expect_event("dialog", timeout=5000):
        open_menu(tab)
        tab.get_by_test_id("logout").click()
    expect(tab.get_by_test_id("me")).to_be_visible()
    assert questions and questions[0].startswith("未送信の記録が3件あります。")
    tab.once("dialog", lambda dialog: dialog.accept())
    open_menu(tab)
    tab.get_by_test_id("logout").click()
    tab.wait_for_url("**/login")
    assert not tab.evaluate("async () => caches.has('madoguchi-pages')")
    assert len(tab.evaluate(tablet.OUTBOX)) == 3
    aborted = "net::ERR_CONNECTION_REFUSED"
    assert [p for p in tablet.unexpected(problems) if aborted not in p] == []


APPEND = """async ([count, session, slot]) => {
  const { append } = await import('/static/js/outbox.js');
  for (let i = 0; i < count; i += 1) {
    const category = ['issuance_reserved', 'pin_reset', 'card_update'][i % 3];
    const payload = { work_session_id: session, slot_start: slot, category, delta: 1 };
    await append('headcount.add', payload);
  }
}"""
SLOT = """() => JSON.parse(document.querySelector('[data-testid="plus-issuance_reserved"]')
  .getAttribute('hx-vals')).slot"""


def test_a_long_outbox_goes_in_batches_of_200(
    field_tablet: tablet.FieldTablet, database_url: str
) -> None:
    """450 unsent ops reach the server in three gzip pushes, each op once, never one per op."""
    tab, problems, session = field_tablet
    tab.context.set_offline(True)
    tab.evaluate(APPEND, [450, session, tab.evaluate(SLOT)])
    pushes: list[tuple[str | None, int]] = []

    def seen(request: Any) -> None:
        # Batches this large travel gzip-compressed (static/js/push.js).
        if request.url.endswith("/push"):
            encoding = request.headers.get("content-encoding")
            body = request.post_data_buffer
            ops = json.loads(gzip.decompress(body) if encoding == "gzip" else body)["ops"]
            pushes.append((encoding, len(ops)))

    tab.on("request", seen)
    tab.context.set_offline(False)
    tablet.synced(tab, timeout=30000)
    assert pushes == [("gzip", 200), ("gzip", 200), ("gzip", 50)]
    assert tablet.db_totals(database_url, session) == {
        "issuance_reserved": 150,
        "pin_reset": 150,
        "card_update": 150,
    }
    assert tablet.unexpected(problems) == []


def test_an_outdated_app_keeps_the_outbox_and_says_so(
    field_tablet: tablet.FieldTablet, database_url: str
) -> None:
    """A 409 for the schema version: nothing is dropped, the page asks for a reload."""
    tab, problems, session = field_tablet
    refusal = {"error": "schema_version", "message": "x", "accepted": [2]}
    tab.route(
        "**/api/sync/push",
        lambda route: route.fulfill(status=409, json=refusal),
    )
    tablet.tap(tab, "pin_reset", 2)
    expect(tab.get_by_test_id("sync-error")).to_have_text(
        "アプリが古くなっています。ページを再読み込みして更新してください。未送信の記録は保持されます。"
    )
    assert len(tab.evaluate(tablet.OUTBOX)) == 2
    assert tablet.db_totals(database_url, session) == {}
    assert [p for p in tablet.unexpected(problems) if "409" not in p] == []
