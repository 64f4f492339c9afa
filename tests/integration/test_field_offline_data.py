"""What the offline field client gets from the server: the page's data island and the shell."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx

from tests.support.field import window
from tests.support.sync_api import ISLAND, headcount, island


def tap(seq: int, session: int, category: str, delta: int = 1) -> dict[str, Any]:
    """A headcount op as the tablet's outbox holds it (a null base version, UTC times)."""
    op = headcount(seq, session, category, delta) | {"base_version": None}
    op["payload"]["slot_start"] = window()[1].astimezone(dt.UTC).isoformat()
    return op


async def test_field_page_carries_its_state_as_data(
    client: httpx.AsyncClient, field: dict[str, int]
) -> None:
    """The island holds what the worker needs to render counters; CSP-safe, not executed."""
    response = await client.get(f"/field/sessions/{field['session']}")
    assert response.status_code == 200
    assert '<script type="module" src="/static/js/field.js"></script>' in response.text
    # Kept offline, it sends its forms plainly and early.js takes the taps: no htmx to
    # download on a tablet's data plan, nor to keep.
    assert "/static/vendor/htmx" not in response.text
    form = await client.get(f"/incidents/new?work_session_id={field['session']}")
    assert "/static/vendor/htmx" not in form.text
    data = island(response.text)
    assert data["session_id"] == field["session"]
    assert data["status"] == "open"
    assert data["actor_id"] == field["operator"]
    assert data["can_write"] is True
    assert data["cells"] == []
    assert data["high_water"] == 0 and data["device_id"] is None
    assert {c["code"] for c in data["categories"]} >= {"issuance_reserved", "pin_reset"}
    issuance_reserved = next(c for c in data["categories"] if c["code"] == "issuance_reserved")
    assert issuance_reserved["label"] == "交付（予約）"
    assert issuance_reserved["confirm"] == "「交付（予約）」を1減らしますか？"
    assert data["messages"]["below_zero"] == "合計を0未満にすることはできません。"
    assert all(s.endswith("+00:00") for s in data["slots"])
    assert 'data-msg-offline="オフラインです。' in response.text
    assert data["has_in_charge"] is True
    assert data["status_labels"]["open"] == "開設中"
    # Both transitions are in the page; the one that does not apply now is hidden.
    assert 'class="session-open" hidden' in response.text
    assert 'data-testid="close-session"' in response.text


async def test_island_totals_and_the_devices_mark_agree(
    client: httpx.AsyncClient, field: dict[str, int]
) -> None:
    """With the device cookie, the mark says which of the device's ops the totals include."""
    registered = await client.post("/api/devices", json={"label": "tablet"})
    device = registered.json()["device_id"]
    session = field["session"]
    batch = [
        tap(1, session, "issuance_reserved"),
        tap(2, session, "issuance_reserved"),
        tap(3, session, "pin_reset"),
    ]
    pushed = await client.post(
        "/api/sync/push", json={"device_id": device, "schema_version": 1, "ops": batch}
    )
    assert pushed.json()["high_water"] == 3
    client.cookies.set("madoguchi_device", device)
    data = island((await client.get(f"/field/sessions/{session}")).text)
    assert data["device_id"] == device and data["high_water"] == 3
    totals: dict[str, int] = {}
    for _, category, n in data["cells"]:
        totals[category] = totals.get(category, 0) + n
    assert totals == {"issuance_reserved": 2, "pin_reset": 1}
    client.cookies.set("madoguchi_device", "no-such-device")
    assert island((await client.get(f"/field/sessions/{session}")).text)["high_water"] == 0


async def test_island_names_where_a_first_pull_starts(
    client: httpx.AsyncClient, field: dict[str, int]
) -> None:
    """The island's pull cursor is the log's head as the page was made: a pull from it
    brings only what changed after the page."""
    session = field["session"]
    data = island((await client.get(f"/field/sessions/{session}")).text)
    start = data["pull_cursor"]
    quiet = (await client.get("/api/sync/pull", params={"cursor": start})).json()
    assert quiet["changes"] == [] and quiet["next_cursor"] == start
    device = (await client.post("/api/devices", json={"label": "tablet"})).json()["device_id"]
    await client.post(
        "/api/sync/push",
        json={
            "device_id": device,
            "schema_version": 1,
            "ops": [tap(1, session, "issuance_reserved")],
        },
    )
    after = (await client.get("/api/sync/pull", params={"cursor": start})).json()
    assert [(c["entity"], c["id"]) for c in after["changes"]] == [("work_session", session)]


async def test_island_text_cannot_end_the_script(
    client: httpx.AsyncClient, field: dict[str, int]
) -> None:
    """Text in the island is JSON-escaped, so no label can close the data block."""
    response = await client.get(f"/field/sessions/{field['session']}")
    block = ISLAND.search(response.text)
    assert block and "<" not in block.group(1)


async def test_service_worker_and_its_shell(client: httpx.AsyncClient) -> None:
    """The worker is served from the root, uncached; every file it precaches exists."""
    response = await client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    source = response.text
    version = re.search(r"const VERSION = '([0-9a-f]{16})'", source)
    assert version
    listed = re.search(r"const SHELL_FILES = \[(.*?)\];", source, re.DOTALL)
    assert listed
    files = re.findall(r"'(/static/[^']+)'", listed.group(1))
    assert "/static/js/field.js" in files
    assert not [f for f in files if f.startswith("/static/vendor/")]  # the field pages need none
    for path in files:
        asset = await client.get(path)
        assert asset.status_code == 200, path
    imported = set(re.findall(r"from '(/static/js/[^']+)'", source))
    for path in [f for f in files if f.endswith(".js")]:
        module = (await client.get(path)).text
        imported |= {f"/static/js/{name}" for name in re.findall(r"from '\./([^']+)'", module)}
    assert imported <= set(files), imported - set(files)
