"""Devices carry a name, their site and number unless named otherwise (issue 18, point 9):
managers rename them (an audited op) and see who pushed from each last, and when."""

from __future__ import annotations

import datetime as dt
import json
import re

import httpx

from server.settings import Settings
from tests import dbutil
from tests.support.audit_trail import Actors
from tests.support.field import new_uid
from tests.support.identities import make_staff, sign_in
from tests.support.sync_api import headcount, incident_create, push, push_body

WEEKDAY_TIME = re.compile(r"20\d\d年\d{1,2}月\d{1,2}日\([月火水木金土日]\) \d\d:\d\d")


async def register(client: httpx.AsyncClient, **body: object) -> dict[str, object]:
    """Register a device as a tablet's script does; returns the answer."""
    answer = await client.post("/api/devices", json=body)
    assert answer.status_code == 200, answer.text
    registered: dict[str, object] = answer.json()
    return registered


def device_row(url: str, device_id: str) -> tuple[object, ...]:
    """The device's name, site, number and last user."""
    rows = dbutil.fetch(
        url, f"SELECT label, site, number, last_user FROM device WHERE uid = '{device_id}'"
    )
    return rows[0]


def card(page: str, device_id: str) -> str:
    """The device's card on the device list."""
    start = page.index(f'id="device-{device_id}"')
    return page[start : page.index("</li>", start)]


async def test_a_field_page_names_the_tablet_after_its_site_and_next_free_number(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Registered from アクタ西宮ステーション's field page: 1号機, then 2号機; a revoked
    tablet's number goes to the next one registered there. Another site counts on its own,
    a registration off a field page is 端末 N, and a label given is kept."""
    manager = await make_staff("overall_manager")
    await sign_in(client, manager, settings)
    first = await register(client, site_id=3)
    second = await register(client, site_id=3)
    assert (first["label"], second["label"]) == (
        "アクタ西宮ステーション 1号機",
        "アクタ西宮ステーション 2号機",
    )
    assert (first["site_id"], first["number"]) == (3, 1)
    assert (await register(client, site_id=4))["label"] == "越木岩分室 1号機"
    assert (await client.post(f"/devices/{first['device_id']}/revoke")).status_code == 303
    assert (await register(client, site_id=3))["label"] == "アクタ西宮ステーション 1号機"
    assert (await register(client, site_id=3))["label"] == "アクタ西宮ステーション 3号機"
    office = await register(client)
    assert re.fullmatch(r"端末 \d+", str(office["label"])), office
    assert office["site_id"] is None
    assert (await register(client, label="予備タブレット", site_id=3))["label"] == "予備タブレット"
    unknown_site = await register(client, site_id=999_999)
    assert unknown_site["site_id"] is None


async def test_a_manager_renames_a_device_and_it_is_audited(
    client: httpx.AsyncClient, settings: Settings, database_url: str, audited: Actors
) -> None:
    """The new name is on the list and in the device row, with a ``device.rename`` entry
    naming the manager. An empty or too long name is refused beside the field, and an
    operator may not rename: neither changes the name or writes an entry."""
    operator = await make_staff("operator")
    await sign_in(client, operator, settings)
    tablet = str((await register(client))["device_id"])
    target = f"device:{tablet}"
    refused = await client.post(f"/devices/{tablet}/rename", data={"label": "勝手な名前"})
    assert refused.status_code == 403

    manager = await make_staff("business_manager")
    await sign_in(client, manager, settings)
    renamed = await client.post(
        f"/devices/{tablet}/rename", data={"label": "  アクタ西宮ステーション   2号機 "}
    )
    assert renamed.status_code == 303, renamed.text
    assert renamed.headers["location"] == f"/devices#device-{tablet}"
    assert device_row(database_url, tablet)[0] == "アクタ西宮ステーション 2号機"
    listed = (await client.get("/devices")).text
    assert "アクタ西宮ステーション 2号機" in card(listed, tablet)
    assert audited("device.rename", target) == [(manager,)]

    for bad in ("   ", "あ" * 101):
        page = await client.post(f"/devices/{tablet}/rename", data={"label": bad})
        assert page.status_code == 422
        assert 'data-testid="error-label"' in card(page.text, tablet)
        assert "端末名は1〜100文字で入力してください。" in page.text
    assert device_row(database_url, tablet)[0] == "アクタ西宮ステーション 2号機"
    unknown = await client.post(
        "/devices/00000000-0000-4000-8000-000000000000/rename", data={"label": "名前"}
    )
    assert unknown.status_code == 422
    assert 'data-testid="error"' in unknown.text
    assert audited("device.rename", target) == [(manager,)]


async def test_a_push_records_who_used_the_device_last(
    client: httpx.AsyncClient, field: dict[str, int], settings: Settings, database_url: str
) -> None:
    """The pusher is the device's last user, shown on the list with the time in JST and
    its weekday; the next person to push from it takes over. A batch sent again changes
    nothing, and a supervisor uploading the tablet's file is not its user."""
    tablet = str((await register(client))["device_id"])
    assert device_row(database_url, tablet)[3] is None
    batch = [headcount(1, field["session"])]
    before = dt.datetime.now(dt.UTC)
    await push(client, tablet, batch)
    assert device_row(database_url, tablet)[3] == field["operator"]
    seen = dbutil.fetch(database_url, f"SELECT last_seen_at FROM device WHERE uid = '{tablet}'")
    assert seen[0][0] is not None

    await sign_in(client, field["in_charge"], settings)
    await push(client, tablet, batch)  # sent again: nothing new, nothing noted
    assert device_row(database_url, tablet)[3] == field["operator"]
    # Not a count: the general way (on PostgreSQL the counts go in one statement).
    filed = await push(client, tablet, [incident_create(2, new_uid())])
    assert filed["results"][0]["status"] == "applied"
    assert device_row(database_url, tablet)[3] == field["in_charge"]
    made = headcount(3, field["session"]) | {"actor_id": field["operator"]}
    exported = json.dumps(push_body(tablet, [made])).encode()
    files = {"file": ("madoguchi-unsent.json", exported, "application/json")}
    uploader = await make_staff("overall_manager")
    await sign_in(client, uploader, settings)
    uploaded = await client.post(
        "/sync/upload", files=files, data={"csrf_token": client.headers["x-csrf-token"]}
    )
    assert uploaded.status_code == 200, uploaded.text
    assert 'data-testid="applied">1<' in uploaded.text
    assert device_row(database_url, tablet)[3] == field["in_charge"]

    listed = card((await client.get("/devices")).text, tablet)
    name = dbutil.fetch(
        database_url, f"SELECT display_name FROM staff WHERE id = {field['in_charge']}"
    )[0][0]
    assert f"最終使用: {name}(" in listed
    shown = WEEKDAY_TIME.search(listed)
    assert shown, listed
    jst = dt.timezone(dt.timedelta(hours=9))
    day = before.astimezone(jst)
    assert shown.group(0).startswith(f"{day.year}年{day.month}月")
