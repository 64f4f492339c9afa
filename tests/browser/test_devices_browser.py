"""Tablets in Chromium (issue 18, point 9): a manager's office browser becomes a device only
on a field page; a tablet is named after its site and number and the device list shows who
used it last; city staff see no sync panel."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import dbutil
from tests.support import tablet
from tests.support.browser import wait_until
from tests.support.layout import check_page

pytestmark = pytest.mark.browser

NAME_AT_HONCHO = re.compile(r"^本庁舎 市民課 \d+号機$")
WEEKDAY_TIME = r"20\d\d年\d{1,2}月\d{1,2}日\([月火水木金土日]\) \d\d:\d\d"
REGISTERED = """async () => {
  const { device } = await import('/static/js/outbox.js');
  return (await device())?.device_id ?? null;
}"""


def devices_of(url: str, staff_id: int) -> list[tuple[Any, ...]]:
    """The devices ``staff_id`` registered: id and name."""
    return dbutil.fetch(url, f"SELECT uid, label FROM device WHERE registered_by = {staff_id}")


def display_name(url: str, staff_id: int) -> str:
    return str(dbutil.fetch(url, f"SELECT display_name FROM staff WHERE id = {staff_id}")[0][0])


def _manager_on_an_incident(tab: Any, live_server: str) -> tuple[dict[str, Any], int, str]:
    """Today's open session with an incident filed; its manager's browser on the incident."""
    data = tablet.today_session(opened=True)
    uid = tablet.filed_incident(data)
    manager = int(data["manager"])
    tablet.signed_in(tab, live_server, tablet.login_cookie("overall_manager", manager))
    tab.goto(f"/incidents/{uid}")
    return data, manager, uid


def test_an_office_browser_becomes_a_tablet_only_on_a_field_page(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """A manager opens an incident and the device list in the office: no device. Opening
    the session's field page registers the browser, named after the site and a number."""
    tab, problems = page
    data, manager, _uid = _manager_on_an_incident(tab, live_server)
    # The page's sync loop has pulled: registering came before that, where it happens.
    expect(tab.get_by_test_id("sync-status")).to_have_attribute(
        "data-last-pull", re.compile(r"^\d+$"), timeout=15000
    )
    assert tab.evaluate(REGISTERED) is None
    tab.goto("/devices")
    expect(tab.get_by_test_id("devices")).to_be_visible()
    assert devices_of(database_url, manager) == []

    tab.goto(f"/field/sessions/{data['session']}")
    wait_until(tab, REGISTERED)
    ((device_id, name),) = devices_of(database_url, manager)
    assert NAME_AT_HONCHO.match(str(name)), name
    tab.goto("/devices")
    card = tab.locator(f'[data-device-id="{device_id}"]')
    expect(card.get_by_test_id("device-name")).to_have_text(str(name))
    expect(card.get_by_test_id("device-last-use")).to_have_text("まだ使われていません")
    assert tablet.unexpected(problems) == []


def test_an_office_edit_registers_the_browser_once_it_has_a_change_to_send(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """An incident edit in the office goes through the outbox like a tablet's: the browser
    registers then (「端末 N」, no site), and the edit reaches the server."""
    tab, problems = page
    _data, manager, uid = _manager_on_an_incident(tab, live_server)
    tablet.ready_for_offline(tab)  # the worker answers the edit form from now on
    assert devices_of(database_url, manager) == []
    text = "責任者が電話で説明した。"
    tab.get_by_test_id("edit-form").locator("textarea[name=immediate_action]").fill(text)
    tab.get_by_test_id("save-incident").click()
    expect(tab.get_by_test_id("field-immediate_action")).to_have_text(text)
    tablet.synced(tab)
    ((_device_id, name),) = devices_of(database_url, manager)
    assert re.fullmatch(r"端末 \d+", str(name)), name
    stored = dbutil.fetch(
        database_url, f"SELECT immediate_action FROM incident WHERE uid = '{uid}'"
    )
    assert stored == [(text,)]
    assert tablet.unexpected(problems) == []


def test_the_device_list_shows_the_tablets_name_and_last_user(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """An operator taps on the field page; the manager's device list shows the tablet as
    「本庁舎 市民課 N号機」, last used by the operator on a day written out in JST; the
    manager renames it there, on a phone as on a tablet."""
    tab, problems, data = tablet.field_online(page, live_server)
    tab.get_by_test_id("plus-issuance_reserved").click()
    expect(tablet.total(tab, "issuance_reserved")).to_have_text("1")
    tablet.synced(tab)
    assert tablet.db_totals(database_url, data["session"]) == {"issuance_reserved": 1}
    device_id = tab.evaluate(REGISTERED)
    tablet.signed_in(tab, live_server, tablet.login_cookie("overall_manager", data["manager"]))
    tab.goto("/devices")
    card = tab.locator(f'[data-device-id="{device_id}"]')
    expect(card.get_by_test_id("device-name")).to_have_text(NAME_AT_HONCHO)
    operator = re.escape(display_name(database_url, data["operator"]))
    expect(card.get_by_test_id("device-last-use")).to_have_text(
        re.compile(rf"^最終使用: {operator}\({WEEKDAY_TIME}\)$")
    )
    card.get_by_test_id("rename").locator("summary").click()
    assert check_page(tab, "devices-rename") == []
    card.get_by_test_id("rename-input").fill("アクタ西宮ステーション 2号機")
    card.get_by_test_id("rename-save").click()
    expect(card.get_by_test_id("device-name")).to_have_text("アクタ西宮ステーション 2号機")
    assert tablet.unexpected(problems) == []


def test_city_staff_see_no_sync_panel(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """City staff read a field page: the counts, and nothing about sending or this tablet's
    data; the page's script runs on without the panel and registers nothing."""
    tab, problems = page
    data = tablet.today_session(opened=True)
    tablet.signed_in(tab, live_server, tablet.login_cookie("city_staff"))
    tab.goto(f"/field/sessions/{data['session']}")
    expect(tab.get_by_test_id("counters")).to_be_visible()
    # field.js has come to its end (the worker it registers controls the page).
    tab.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)
    expect(tab.get_by_test_id("sync-status")).to_have_count(0)
    expect(tab.get_by_test_id("clear-data")).to_have_count(0)
    assert tab.evaluate(REGISTERED) is None
    assert tablet.unexpected(problems) == []
