"""Two tablets on one session see each other's counts through pull, online and offline."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import tablet

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # waits for the pull timer

# Long enough for a sync loop's pull timer (10 s at most, with jitter) to come round.
PULLED = 30000


def all_sent(tab: Any) -> None:
    """Wait on the tablet's own status line: nothing left to send, no error."""
    status = tab.get_by_test_id("sync-status")
    expect(status).to_have_attribute("data-pending", "0", timeout=20000)
    expect(status).to_have_attribute("data-state", "ok", timeout=20000)


def tap(tab: Any, times: int, start: int) -> None:
    """Tap +1 issuance_reserved ``times`` times, each shown before the next."""
    for n in range(start + 1, start + times + 1):
        tab.get_by_test_id("plus-issuance_reserved").click()
        expect(tablet.total(tab, "issuance_reserved")).to_have_text(str(n))


def test_other_tablets_counts_arrive_by_pull_and_stay_offline(
    tablets: list[tuple[Any, Any, Any]], live_server: str, database_url: str
) -> None:
    """Counts from A and B show N+M on both without reload; offline B keeps them and adds one."""
    data = tablet.today_session()
    session = data["session"]
    (_, first, _), (second_context, second, _) = tablets
    for _context, tab, _ in tablets:
        tablet.signed_in(tab, live_server, data["cookie"])
    first.goto(f"/field/sessions/{session}")
    first.get_by_test_id("open-session").click()
    expect(first.get_by_test_id("session-status")).to_have_text("開設中")
    tablet.synced(first)
    second.goto(f"/field/sessions/{session}")
    expect(second.get_by_test_id("session-status")).to_have_text("開設中")
    for _context, tab, _ in tablets:
        tablet.ready_for_offline(tab)

    tap(first, 5, 0)
    tap(second, 3, 0)
    for _context, tab, _ in tablets:
        all_sent(tab)
    assert tablet.db_totals(database_url, session) == {"issuance_reserved": 8}
    for _context, tab, _ in tablets:
        expect(tablet.total(tab, "issuance_reserved")).to_have_text("8", timeout=PULLED)
        expect(tab.get_by_test_id("grand-total")).to_have_text("8")

    second_context.set_offline(True)
    second.reload()
    expect(second.get_by_test_id("sync-status")).to_have_attribute("data-state", "offline")
    expect(tablet.total(second, "issuance_reserved")).to_have_text("8")
    second.get_by_test_id("plus-issuance_reserved").click()
    expect(tablet.total(second, "issuance_reserved")).to_have_text("9")
    expect(second.get_by_test_id("sync-pending")).to_have_text("未送信: 1件")

    second_context.set_offline(False)
    all_sent(second)
    assert tablet.db_totals(database_url, session) == {"issuance_reserved": 9}
    expect(tablet.total(second, "issuance_reserved")).to_have_text("9")
    expect(tablet.total(first, "issuance_reserved")).to_have_text("9", timeout=PULLED)
    for _context, _tab, problems in tablets:
        assert tablet.unexpected(problems) == []
