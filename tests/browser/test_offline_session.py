"""A whole session offline: open, count, file an incident, close; and two tablets at once."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests import dbutil
from tests.support import tablet
from tests.support.browser import PageProblems

pytestmark = pytest.mark.browser


def test_open_count_report_and_close_offline(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """Everything done offline reaches the server once, as entered, when back online."""
    tab, problems = page
    data = tablet.today_session()
    session = tablet.planned_offline(tab, live_server, data)
    tab.get_by_test_id("open-session").click()
    expect(tab.get_by_test_id("session-status")).to_have_text("開設中")
    taps = {"issuance_reserved": 3, "pin_reset": 2}
    for code, times in taps.items():
        tablet.tap(tab, code, times)

    tab.get_by_test_id("report-incident").click()
    uid = tab.get_by_test_id("incident-form").locator("input[name=uid]").input_value()
    tablet.fill_incident(
        tab, "equipment_failure", "medium", "写真用プリンターが紙詰まり。予備機に切替。"
    )
    tab.wait_for_url(f"**/field/sessions/{session}")
    expect(tablet.total(tab, "issuance_reserved")).to_have_text("3")
    tab.get_by_test_id("close-session").click()
    expect(tab.get_by_test_id("close-total-issuance_reserved")).to_have_text(
        "3"
    )  # offline taps too
    tab.get_by_test_id("confirm-close").click()
    expect(tab.get_by_test_id("session-status")).to_have_text("終了")
    expect(tab.get_by_test_id("plus-issuance_reserved")).to_have_count(0)

    outbox = tab.evaluate(tablet.OUTBOX)
    assert [op["type"] for op in outbox] == [
        "work_session.open",
        *["headcount.add"] * 5,
        "incident.create",
        "work_session.close",
    ]
    assert outbox[6]["payload"]["uid"] == uid
    assert dbutil.fetch(database_url, f"SELECT status FROM work_session WHERE id = {session}") == [
        ("planned",)
    ]

    tab.context.set_offline(False)
    tablet.synced(tab)
    assert tablet.db_totals(database_url, session) == taps
    assert dbutil.fetch(
        database_url,
        "SELECT status, actual_start IS NOT NULL, actual_end IS NOT NULL "
        f"FROM work_session WHERE id = {session}",
    ) == [("closed", True, True)]
    assert dbutil.fetch(
        database_url,
        f"SELECT uid, category, severity, description FROM incident WHERE work_session = {session}",
    ) == [(uid, "equipment_failure", "medium", "写真用プリンターが紙詰まり。予備機に切替。")]
    device = outbox[0]["device_id"]
    assert dbutil.fetch(
        database_url, f"SELECT count(*) FROM sync_issue WHERE device_uid = '{device}'"
    ) == [(0,)]
    tab.reload()
    expect(tab.get_by_test_id("session-status")).to_have_text("終了")
    expect(tablet.total(tab, "issuance_reserved")).to_have_text("3")
    assert tablet.unexpected(problems) == []


def test_two_tablets_offline_on_one_session(
    tablets: list[tuple[Any, Any, PageProblems]], live_server: str, database_url: str
) -> None:
    """Two tablets count offline on one open session; after both sync, totals are the sum."""
    data = tablet.today_session()
    session = data["session"]
    first = tablets[0][1]
    tablet.signed_in(first, live_server, data["cookie"])
    first.goto(f"/field/sessions/{session}")
    first.get_by_test_id("open-session").click()
    expect(first.get_by_test_id("session-status")).to_have_text("開設中")
    tablet.synced(first)
    for _context, tab, _ in tablets:
        tablet.signed_in(tab, live_server, data["cookie"])
        tab.goto(f"/field/sessions/{session}")
        expect(tab.get_by_test_id("session-status")).to_have_text("開設中")
        tablet.ready_for_offline(tab)
    plans = [
        {"issuance_reserved": 4, "pin_reset": 1},
        {"issuance_reserved": 2, "certificate_renewal": 3},
    ]
    for (context, tab, _), plan in zip(tablets, plans, strict=True):
        context.set_offline(True)
        tab.reload()
        for code, times in plan.items():
            for _n in range(times):
                tab.get_by_test_id(f"plus-{code}").click()
        for code, times in plan.items():
            expect(tablet.total(tab, code)).to_have_text(str(times))
    devices = {tab.evaluate(tablet.OUTBOX)[0]["device_id"] for _, tab, _ in tablets}
    assert len(devices) == 2
    for context, _tab, _ in tablets:
        context.set_offline(False)
    for _, tab, _ in tablets:
        tablet.synced(tab)
    assert tablet.db_totals(database_url, session) == {
        "issuance_reserved": 6,
        "pin_reset": 1,
        "certificate_renewal": 3,
    }
    for _, tab, problems in tablets:
        tab.reload()
        expect(tablet.total(tab, "issuance_reserved")).to_have_text("6")
        expect(tablet.total(tab, "certificate_renewal")).to_have_text("3")
        assert tablet.unexpected(problems) == []
