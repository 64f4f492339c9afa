"""Nightly reconciliation: each device's own count and digest against what the server got."""

from __future__ import annotations

import datetime as dt

import httpx

from server.reconciliation.service import digest
from server.settings import Settings
from tests.support.field import JST
from tests.support.identities import make_staff, sign_in
from tests.support.sync_api import device, headcount, push


def made_on(op: dict[str, object], day: dt.date) -> dict[str, object]:
    """``op`` stamped with a client time on ``day`` (noon JST)."""
    return op | {"client_time": dt.datetime.combine(day, dt.time(12), JST).isoformat()}


async def test_device_says_37_server_has_36(
    client: httpx.AsyncClient, field: dict[str, int], settings: Settings
) -> None:
    """A device that made one op more than arrived shows a mismatch with both counts."""
    day = dt.datetime.now(JST).date()
    tablet = await device(client, "会場タブレット")
    made = [made_on(headcount(seq, field["session"]), day) for seq in range(1, 38)]
    await push(client, tablet, made[:36])  # the 37th never arrives
    ids = [str(op["op_id"]) for op in made]
    stored = await client.post(
        "/api/sync/report",
        json={
            "device_id": tablet,
            "reports": [{"day": day.isoformat(), "op_count": 37, "digest": digest(ids)}],
        },
    )
    assert stored.json() == {"stored": 1}
    await sign_in(client, await make_staff("overall_manager"), settings)
    page = await client.get("/reconciliation", params={"day": day.isoformat()})
    assert f'data-device-id="{tablet}" data-matches="no"' in page.text
    assert "端末の記録 37 件、サーバーの受信 36 件" in page.text


async def test_matching_report_and_rejected_ops_count(
    client: httpx.AsyncClient, field: dict[str, int], settings: Settings
) -> None:
    """A rejected op still counts as received; a full, honest report matches."""
    day = dt.datetime.now(JST).date()
    tablet = await device(client)
    made = [
        made_on(headcount(1, field["session"]), day),
        made_on(headcount(2, field["session"], category="nope"), day),
        made_on(headcount(3, field["session"]), day - dt.timedelta(days=1)),
    ]
    await push(client, tablet, made)
    todays = [str(op["op_id"]) for op in made[:2]]
    await client.post(
        "/api/sync/report",
        json={
            "device_id": tablet,
            "reports": [{"day": day.isoformat(), "op_count": 2, "digest": digest(todays)}],
        },
    )
    await sign_in(client, await make_staff("city_staff"), settings)
    page = await client.get("/reconciliation", params={"day": day.isoformat()})
    assert f'data-device-id="{tablet}" data-matches="yes"' in page.text
