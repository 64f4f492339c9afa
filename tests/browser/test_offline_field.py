"""The field page offline: taps go to the IndexedDB outbox and sync by themselves, once."""

from __future__ import annotations

import gzip
import json
import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import dbutil
from tests.browser.test_field_browser import signed_in, today_session, total

pytestmark = pytest.mark.browser

# Offline, the browser logs the requests it could not make; nothing else may go wrong.
EXPECTED_OFFLINE = re.compile(r"ERR_INTERNET_DISCONNECTED|Failed to fetch|ERR_NETWORK_CHANGED")

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

OUTBOX = """async () => {
  const { pending } = await import('/static/js/outbox.js');
  return (await pending()).map((op) => op);
}"""


def unexpected(problems: Any) -> list[str]:
    """Problems other than the network failures an offline page is expected to log."""
    return [p for p in problems.all() if not EXPECTED_OFFLINE.search(p)]


def open_online(tab: Any, session: int) -> None:
    """Open the session online and wait until the page is kept for offline use."""
    tab.goto(f"/field/sessions/{session}")
    tab.get_by_test_id("open-session").click()
    expect(tab.get_by_test_id("session-status")).to_have_text("開設中")
    expect(tab.get_by_test_id("sync-status")).to_have_attribute(
        "data-offline-ready", "1", timeout=15000
    )
    tab.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)
    # Opening may have gone through the outbox (when the worker answered it): let it sync.
    deadline = time.monotonic() + 15
    while tab.evaluate(OUTBOX) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert tab.evaluate(OUTBOX) == []


def field_online(page: tuple[Any, Any], live_server: str) -> tuple[Any, Any, dict[str, Any]]:
    """A signed-in tablet with today's session opened online and kept for offline use."""
    tab, problems = page
    data = today_session()
    signed_in(tab, live_server, data["cookie"])
    open_online(tab, data["session"])
    return tab, problems, data


def unsent_taps(tab: Any, code: str, times: int) -> None:
    """Tap a counter ``times`` times with pushes refused: the taps stay in the outbox."""
    tab.route("**/api/sync/push", lambda route: route.abort("connectionrefused"))
    for n in range(1, times + 1):
        tab.get_by_test_id(f"plus-{code}").click()
        expect(total(tab, code)).to_have_text(str(n))


def db_totals(database_url: str, session: int) -> dict[str, int]:
    """The session's totals in the database, per category."""
    rows = dbutil.fetch(
        database_url,
        f"SELECT category, SUM(delta) FROM headcount WHERE work_session = {session} "
        "GROUP BY category",
    )
    return {str(r[0]): int(str(r[1])) for r in rows if int(str(r[1]))}


def test_fifty_taps_offline_sync_exactly_once(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """Offline: the SW serves the page and answers 50 taps; back online, they sync once."""
    tab, problems, data = field_online(page, live_server)
    session = data["session"]

    tab.context.set_offline(True)
    tab.reload()
    expect(tab.get_by_test_id("sync-status")).to_have_attribute("data-state", "offline")
    plan = ["issuance"] * 20 + ["pin_reset"] * 18 + ["certificate_renewal"] * 12
    plan = plan[::3] + plan[1::3] + plan[2::3]  # interleave categories
    counts: dict[str, int] = {}
    started = time.monotonic()
    for n, code in enumerate(plan, start=1):
        tab.get_by_test_id(f"plus-{code}").click()
        counts[code] = counts.get(code, 0) + 1
        expect(total(tab, code)).to_have_text(str(counts[code]))
        expect(tab.get_by_test_id("grand-total")).to_have_text(str(n))
    tap_seconds = time.monotonic() - started
    # A correction is counted; one that would go below zero is refused on the tablet.
    tab.once("dialog", lambda dialog: dialog.accept())
    tab.get_by_test_id("minus-pin_reset").click()
    counts["pin_reset"] -= 1
    expect(total(tab, "pin_reset")).to_have_text(str(counts["pin_reset"]))
    tab.once("dialog", lambda dialog: dialog.accept())
    tab.get_by_test_id("minus-card_update").click()
    expect(tab.get_by_test_id("count-error")).to_have_text("合計を0未満にすることはできません。")
    expect(total(tab, "card_update")).to_have_text("0")

    outbox = tab.evaluate(OUTBOX)
    assert len(outbox) == 51
    first = outbox[0]["seq"]
    assert [op["seq"] for op in outbox] == list(range(first, first + 51))
    assert {op["type"] for op in outbox} == {"headcount.add"}
    assert db_totals(database_url, session) == {}
    expect(tab.get_by_test_id("sync-pending")).to_have_text("未送信: 51件")

    tab.context.set_offline(False)
    back_online = time.monotonic()
    status = tab.get_by_test_id("sync-status")
    expect(status).to_have_attribute("data-pending", "0", timeout=20000)
    sync_seconds = time.monotonic() - back_online
    print(f"50 taps offline in {tap_seconds:.2f} s; synced {sync_seconds:.2f} s after reconnecting")
    expect(status).to_have_attribute("data-state", "ok")
    expect(tab.get_by_test_id("sync-last")).to_contain_text("最終同期")

    assert db_totals(database_url, session) == counts
    rows = dbutil.fetch(database_url, f"SELECT op_id FROM headcount WHERE work_session = {session}")
    assert sorted(str(r[0]) for r in rows) == sorted(op["op_id"] for op in outbox)
    # Reloaded online, the server's page shows the same totals (nothing counted twice).
    tab.reload()
    for code, n in counts.items():
        expect(total(tab, code)).to_have_text(str(n))
    # The tablet's rendering of the counters matches the server's, text and buttons.
    server = tab.evaluate(SERVER_COUNTERS)
    local = tab.evaluate(LOCAL_COUNTERS, session)
    assert local["text"] == server["text"]
    normalize = lambda rows: [[r[0], r[1], json.loads(r[2]), r[3]] for r in rows]  # noqa: E731
    assert normalize(local["buttons"]) == normalize(server["buttons"])
    assert tap_seconds < 30, tap_seconds
    assert unexpected(problems) == []


def test_rapid_taps_are_all_counted(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """Taps faster than the answers (a queue of visitors) each count, online, exactly once."""
    tab, problems, data = field_online(page, live_server)
    session = data["session"]
    button = tab.get_by_test_id("plus-issuance")
    for _ in range(25):
        button.dispatch_event("click")
    expect(total(tab, "issuance")).to_have_text("25")
    expect(tab.get_by_test_id("sync-status")).to_have_attribute("data-pending", "0", timeout=20000)
    deadline = time.monotonic() + 20
    while tab.evaluate(OUTBOX) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert db_totals(database_url, session) == {"issuance": 25}
    assert unexpected(problems) == []


def test_sign_out_with_unsent_taps_asks_first_and_forgets_pages(
    page: tuple[Any, Any], live_server: str
) -> None:
    """Unsent ops make sign-out ask; signing out drops the cached pages, not the outbox."""
    tab, problems, _ = field_online(page, live_server)
    unsent_taps(tab, "issuance", 3)
    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    tab.once("dialog", dismiss)
    tab.get_by_test_id("logout").click()
    deadline = time.monotonic() + 5
    while not questions and time.monotonic() < deadline:
        tab.wait_for_timeout(50)
    expect(tab.get_by_test_id("me")).to_be_visible()
    assert questions and questions[0].startswith("未送信の記録が3件あります。")
    tab.once("dialog", lambda dialog: dialog.accept())
    tab.get_by_test_id("logout").click()
    tab.wait_for_url("**/login")
    assert not tab.evaluate("async () => caches.has('madoguchi-pages')")
    assert len(tab.evaluate(OUTBOX)) == 3
    aborted = "net::ERR_CONNECTION_REFUSED"
    assert [p for p in unexpected(problems) if aborted not in p] == []


APPEND = """async ([count, session, slot]) => {
  const { append } = await import('/static/js/outbox.js');
  for (let i = 0; i < count; i += 1) {
    const category = ['issuance', 'pin_reset', 'card_update'][i % 3];
    const payload = { work_session_id: session, slot_start: slot, category, delta: 1 };
    await append('headcount.add', payload);
  }
}"""
SLOT = """() => JSON.parse(document.querySelector('[data-testid="plus-issuance"]')
  .getAttribute('hx-vals')).slot"""


def test_a_long_outbox_goes_in_batches_of_200(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """450 unsent ops reach the server in three gzip pushes, each op once, never one per op."""
    tab, problems, data = field_online(page, live_server)
    session = data["session"]
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
    deadline = time.monotonic() + 30
    while tab.evaluate(OUTBOX) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pushes == [("gzip", 200), ("gzip", 200), ("gzip", 50)]
    assert db_totals(database_url, session) == {
        "issuance": 150,
        "pin_reset": 150,
        "card_update": 150,
    }
    assert unexpected(problems) == []


def test_an_outdated_app_keeps_the_outbox_and_says_so(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """A 409 for the schema version: nothing is dropped, the page asks for a reload."""
    tab, problems, data = field_online(page, live_server)
    session = data["session"]
    refusal = {"error": "schema_version", "message": "x", "accepted": [2]}
    tab.route(
        "**/api/sync/push",
        lambda route: route.fulfill(status=409, json=refusal),
    )
    for n in range(1, 3):
        tab.get_by_test_id("plus-pin_reset").click()
        expect(total(tab, "pin_reset")).to_have_text(str(n))
    expect(tab.get_by_test_id("sync-error")).to_have_text(
        "アプリが古くなっています。ページを再読み込みして更新してください。未送信の記録は保持されます。"
    )
    assert len(tab.evaluate(OUTBOX)) == 2
    assert db_totals(database_url, session) == {}
    assert [p for p in unexpected(problems) if "409" not in p] == []
