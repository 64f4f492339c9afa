"""Pull with a device id: the device's high-water mark comes with per-slot cells, from one
snapshot, so a tablet can add its own later ops on top exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import msgspec

from server.settings import Settings
from server.sync import ops
from server.work_sessions import service as work_sessions
from tests.support.field import apply, window
from tests.support.sync_api import device, headcount, island, pull_all, push


def in_slot(seq: int, session: int, slot: int, minutes: int, category: str) -> dict[str, Any]:
    """A +1 in the session's ``slot``-th time slot."""
    op = headcount(seq, session, category=category)
    _, start, _ = window()
    op["payload"]["slot_start"] = (start + dt.timedelta(minutes=slot * minutes)).isoformat()
    return op


async def session_pull(
    client: httpx.AsyncClient, session: int, **params: Any
) -> tuple[dict[str, Any], Any]:
    """Pull every page from the start; returns the session's data and the mark with it."""
    cursor, found, mark = 0, None, None
    for _ in range(1000):
        answer = await client.get("/api/sync/pull", params={"cursor": cursor, **params})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        for change in page["changes"]:
            if change["entity"] == "work_session" and change["id"] == session:
                found, mark = change["data"], page["high_water"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            assert found is not None
            return found, mark
    raise AssertionError("pull never finished")


async def test_pull_carries_the_devices_mark_and_per_slot_cells(
    client: httpx.AsyncClient, field: dict[str, int], settings: Settings
) -> None:
    """After a push, the pulled cells sum to what was pushed and the mark is the last seq."""
    tablet = await device(client)
    minutes = settings.field.slot_minutes
    plan = [
        (0, "issuance_reserved"),
        (0, "issuance_reserved"),
        (1, "issuance_reserved"),
        (1, "pin_reset"),
        (2, "pin_reset"),
    ]
    ops = [in_slot(n, field["session"], s, minutes, c) for n, (s, c) in enumerate(plan, 1)]
    answer = await push(client, tablet, ops)
    assert [r["status"] for r in answer["results"]] == ["applied"] * 5
    data, mark = await session_pull(client, field["session"], device_id=tablet, limit=50)
    assert mark == 5
    _, start, _ = window()
    slot = [(start + dt.timedelta(minutes=i * minutes)).astimezone(dt.UTC) for i in range(3)]
    cells = {(dt.datetime.fromisoformat(s), c): n for s, c, n in data["cells"]}
    assert cells == {
        (slot[0], "issuance_reserved"): 2,
        (slot[1], "issuance_reserved"): 1,
        (slot[1], "pin_reset"): 1,
        (slot[2], "pin_reset"): 1,
    }
    assert data["totals"] == {"issuance_reserved": 3, "pin_reset": 2}
    # The slots come as first + count; expanded, they are the field page's own list.
    page = island((await client.get(f"/field/sessions/{field['session']}")).text)
    first = dt.datetime.fromisoformat(data["slot_first"])
    expanded = [first + dt.timedelta(minutes=i * minutes) for i in range(data["slot_count"])]
    assert first == slot[0]
    assert expanded == [dt.datetime.fromisoformat(s) for s in page["slots"]]
    assert data["has_in_charge"] is True


async def test_pull_ignores_an_unknown_device(
    client: httpx.AsyncClient, field: dict[str, int]
) -> None:
    """A device id the server never issued gives no mark; the changes come as usual."""
    tablet = await device(client)
    await push(client, tablet, [headcount(1, field["session"])])
    data, mark = await session_pull(
        client, field["session"], device_id="00000000-0000-7000-8000-000000000000"
    )
    assert mark is None
    assert data["totals"] == {"issuance_reserved": 1}


async def test_every_pulled_mark_matches_its_counts_while_pushes_land(
    client: httpx.AsyncClient, field: dict[str, int]
) -> None:
    """Pulls racing single-op pushes: each answer's cells hold exactly the ops up to its mark."""
    tablet = await device(client)
    await push(client, tablet, [headcount(1, field["session"])])
    _, cursor = await pull_all(client, 0)
    pushed = 40
    seen: list[tuple[int, int]] = []

    async def pushes() -> None:
        for seq in range(2, pushed + 1):
            await push(client, tablet, [headcount(seq, field["session"])])

    async def pulls() -> None:
        done = False
        for _ in range(5000):
            if done:
                return
            done = bool(seen) and seen[-1][0] == pushed
            answer = await client.get(
                "/api/sync/pull", params={"cursor": cursor, "limit": 1000, "device_id": tablet}
            )
            page = answer.json()
            for change in page["changes"]:
                if change["entity"] == "work_session" and change["id"] == field["session"]:
                    cells = sum(n for _, _, n in change["data"]["cells"])
                    seen.append((page["high_water"], cells))
            await asyncio.sleep(0)

    await asyncio.gather(pushes(), pulls())
    assert seen[-1] == (pushed, pushed)
    assert all(mark == cells for mark, cells in seen), seen


async def test_a_pulled_session_holds_the_session_as_read_alone(
    client: httpx.AsyncClient, field: dict[str, int], settings: Settings
) -> None:
    """A pulled work session's fields are the session's own as its pages read it, each
    under its own name (a page builds them from the row's values in order), with what a
    field page's snapshot adds."""
    await apply(
        ops.WorkSessionUpdate(
            payload=ops.UpdateWorkSession(work_session_id=field["session"], notes="受付2番")
        ),
        field["manager"],
        "overall_manager",
        settings,
    )
    data, _ = await session_pull(client, field["session"])
    session = await work_sessions.get(field["session"])
    assert session is not None and session.staff and session.actual_start is not None
    alone = msgspec.json.decode(msgspec.json.encode(session))
    assert {name: data[name] for name in alone} == alone
    assert data["notes"] == "受付2番" and data["version"] > 1
    snapshot = {"totals", "cells", "slot_first", "slot_count", "has_in_charge"}
    assert set(data) == set(alone) | snapshot
