"""Incident edits from tablets go through the outbox; the server merges per field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import dbutil
from tests.support import tablet
from tests.support.browser import PageProblems

pytestmark = pytest.mark.browser


def incident_ready_offline(tab: Any, live_server: str, data: dict[str, Any]) -> None:
    """Visit the session online until it (and the incidents it lists) are kept offline."""
    tablet.signed_in(tab, live_server, data["cookie"])
    tab.goto(f"/field/sessions/{data['session']}")
    expect(tab.get_by_test_id("incident-link")).to_have_count(1)
    tablet.ready_for_offline(tab)


def edit_offline(tab: Any, uid: str, **fields: str) -> None:
    """Offline: from the session page open the kept incident, change text fields, save."""
    tab.context.set_offline(True)
    tab.reload()
    tab.get_by_test_id("incident-link").click()
    tab.wait_for_url(f"**/incidents/{uid}")
    expect(tab.get_by_test_id("field-version")).to_have_text("1")
    form = tab.get_by_test_id("edit-form")
    for name, value in fields.items():
        form.locator(f"textarea[name={name}]").fill(value)
    tab.get_by_test_id("save-incident").click()
    tab.wait_for_url(f"**/incidents/{uid}")
    # The kept page, shown again with this tablet's edit in its fields.
    for name, value in fields.items():
        expect(tab.get_by_test_id(f"field-{name}")).to_have_text(value)
    expect(tab.get_by_test_id("local-edits")).to_be_visible()


def sync_one_by_one(tablets: list[tuple[Any, Any, PageProblems]]) -> None:
    """Back online one tablet at a time, so the first one's edit reaches the server first."""
    for context, tab, _problems in tablets:
        context.set_offline(False)
        tablet.synced(tab)


def incident_row(database_url: str, uid: str) -> tuple[object, ...]:
    """The incident's text fields and version, from the database."""
    rows = dbutil.fetch(
        database_url,
        "SELECT description, immediate_action, recurrence_prevention, version "
        f"FROM incident WHERE uid = '{uid}'",
    )
    return rows[0]


def conflicts(database_url: str, uid: str) -> list[tuple[object, ...]]:
    """Conflict records about the incident: field, server's value, incoming value."""
    return dbutil.fetch(
        database_url,
        "SELECT field, server_value, incoming_value FROM sync_issue "
        f"WHERE status = 'conflict' AND op LIKE '%{uid}%'",
    )


def test_same_field_from_same_base_makes_one_conflict(
    tablets: list[tuple[Any, Any, PageProblems]], live_server: str, database_url: str
) -> None:
    """Both tablets change one field from version 1: one conflict record keeps both values."""
    data = tablet.today_session()
    uid = tablet.filed_incident(data)
    texts = ["予備の番号札で案内し、了承を得た。", "責任者が順番の仕組みを説明した。"]
    for (_context, tab, _problems), text in zip(tablets, texts, strict=True):
        incident_ready_offline(tab, live_server, data)
        edit_offline(tab, uid, immediate_action=text)
        [op] = tab.evaluate(tablet.OUTBOX)
        assert (op["type"], op["base_version"]) == ("incident.update", 1)
        assert op["payload"] == {"uid": uid, "immediate_action": text}
    assert incident_row(database_url, uid)[1] == ""

    sync_one_by_one(tablets)
    server_value, incoming_value = (json.dumps(text, ensure_ascii=False) for text in texts)
    assert conflicts(database_url, uid) == [("immediate_action", server_value, incoming_value)]
    assert incident_row(database_url, uid) == ("待ち時間が長いとの苦情", texts[0], "", 2)
    for _context, _tab, problems in tablets:
        assert tablet.unexpected(problems) == []


def test_different_fields_from_same_base_both_kept(
    tablets: list[tuple[Any, Any, PageProblems]], live_server: str, database_url: str
) -> None:
    """One tablet changes the action, the other the prevention: both kept, no conflict."""
    data = tablet.today_session()
    uid = tablet.filed_incident(data)
    edits = [
        {"immediate_action": "整理券を配布した。"},
        {"recurrence_prevention": "混雑時は受付を二列にする。"},
    ]
    for (_context, tab, _problems), fields in zip(tablets, edits, strict=True):
        incident_ready_offline(tab, live_server, data)
        edit_offline(tab, uid, **fields)

    sync_one_by_one(tablets)
    assert incident_row(database_url, uid) == (
        "待ち時間が長いとの苦情",
        "整理券を配布した。",
        "混雑時は受付を二列にする。",
        3,
    )
    assert conflicts(database_url, uid) == []
    for _context, tab, problems in tablets:
        tab.reload()
        expect(tab.get_by_test_id("field-recurrence_prevention")).to_have_text(
            "混雑時は受付を二列にする。"
        )
        expect(tab.get_by_test_id("field-version")).to_have_text("3")
        assert tablet.unexpected(problems) == []


def test_online_edit_goes_through_the_outbox(
    tablets: list[tuple[Any, Any, PageProblems]], live_server: str, database_url: str
) -> None:
    """Online too the worker queues the edit (changed fields only); it syncs by itself."""
    _context, tab, problems = tablets[0]
    data = tablet.today_session()
    uid = tablet.filed_incident(data)
    incident_ready_offline(tab, live_server, data)
    tab.get_by_test_id("incident-link").click()
    tab.wait_for_url(f"**/incidents/{uid}")
    tablet.ready_for_offline(tab)
    form = tab.get_by_test_id("edit-form")
    form.locator("input[name=severity][value=medium]").check()
    form.locator("textarea[name=immediate_action]").fill("整理券を配布した。")
    tab.get_by_test_id("save-incident").click()
    expect(tab.get_by_test_id("field-immediate_action")).to_have_text("整理券を配布した。")
    tablet.synced(tab)
    device = tab.evaluate("async () => (await (await import('/static/js/outbox.js')).device())")
    assert dbutil.fetch(
        database_url,
        "SELECT r.version, r.changes, r.device_id FROM incident_revision r "
        f"JOIN incident i ON i.id = r.incident WHERE i.uid = '{uid}' AND r.version > 1",
    ) == [
        (
            2,
            '{"severity":["low","medium"],"immediate_action":["","整理券を配布した。"]}',
            device["device_id"],
        )
    ]
    assert tablet.unexpected(problems) == []
