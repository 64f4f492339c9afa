"""After syncing, the tablet reports its day and Background Sync sends with no page open."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from server.common.clock import JST
from tests import dbutil
from tests.support import tablet
from tests.support.browser import wait_until

pytestmark = pytest.mark.browser

DAYS = "async () => (await (await import('/static/js/idb.js')).getAll('days'))"
TAGS = """async () => {
  const registration = await navigator.serviceWorker.getRegistration('/');
  return registration.sync ? await registration.sync.getTags() : null;
}"""
# The tablet has had the server store its report of a day with at least `least` ops.
REPORTED = """async () => {
  const { getAll } = await import('/static/js/idb.js');
  const { digest } = await import('/static/js/days.js');
  const record = (await getAll('days')).find((d) => d.day === '%(day)s');
  return Boolean(record) && record.op_ids.length >= %(least)d
    && record.reported === await digest(record.op_ids);
}"""


def taps_offline(tab: Any, code: str, times: int) -> None:
    """Offline, reload the kept page and tap a counter ``times`` times."""
    tab.context.set_offline(True)
    tab.reload()
    tablet.tap(tab, code, times)


def test_day_report_matches_what_the_server_received(
    field_tablet: tablet.FieldTablet, database_url: str
) -> None:
    """After offline taps sync, the device's day report equals the server's count and digest."""
    tab, problems, session = field_tablet
    taps_offline(tab, "issuance_reserved", 5)
    device = tab.evaluate(tablet.OUTBOX)[0]["device_id"]
    tab.context.set_offline(False)
    tablet.synced(tab)
    today = dt.datetime.now(JST).date().isoformat()
    # Five taps, and the session's opening when the worker answered it.
    wait_until(tab, REPORTED % {"day": today, "least": 5})
    reported = dbutil.fetch(
        database_url,
        "SELECT op_count FROM device_day_report "
        f"WHERE device_uid = '{device}' AND day = '{today}' AND op_count >= 5",
    )
    # The day's record outlives the outbox: it holds the ids the server stored.
    [day] = [d for d in tab.evaluate(DAYS) if d["day"] == today]
    assert reported == [(len(day["op_ids"]),)]
    stored = dbutil.fetch(
        database_url, f"SELECT op_id FROM headcount WHERE work_session = {session}"
    )
    tapped = {str(r[0]) for r in stored}
    assert len(tapped) == 5 and tapped <= set(day["op_ids"])

    tab.goto(f"/reconciliation?day={today}")
    card = tab.locator(f'[data-device-id="{device}"]')
    expect(card).to_have_attribute("data-matches", "yes")
    expect(card).to_contain_text(str(len(day["op_ids"])))
    assert tablet.unexpected(problems) == []


def test_background_sync_sends_with_the_page_closed(
    field_tablet: tablet.FieldTablet, live_server: str, database_url: str
) -> None:
    """Taps queued offline register a sync tag; the worker's sync event sends them alone."""
    tab, problems, session = field_tablet
    taps_offline(tab, "pin_reset", 3)
    assert "madoguchi-push" in tab.evaluate(TAGS)
    assert tablet.db_totals(database_url, session) == {}
    assert tablet.unexpected(problems) == []

    # The tablet's page goes away; the browser wakes the worker for the tag (dispatched
    # through DevTools, as Chromium does when the connection returns).
    context = tab.context
    blank = context.new_page()
    tab.close()
    devtools = context.new_cdp_session(blank)
    registrations: list[dict[str, Any]] = []
    devtools.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    devtools.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not registrations and time.monotonic() < deadline:
        blank.wait_for_timeout(100)
    [registration] = [r for r in registrations if not r["isDeleted"]]
    context.set_offline(False)
    # The worker's own push, answered (the server stores before it answers).
    pushed = context.expect_event(
        "requestfinished", lambda request: request.url.endswith("/api/sync/push"), timeout=20000
    )
    with pushed:
        devtools.send(
            "ServiceWorker.dispatchSyncEvent",
            {
                "origin": live_server,
                "registrationId": registration["registrationId"],
                "tag": "madoguchi-push",
                "lastChance": False,
            },
        )
    rows = dbutil.fetch(
        database_url, f"SELECT SUM(delta) FROM headcount WHERE work_session = {session}"
    )
    assert rows == [(3,)]
