"""The sync API as a tablet speaks it, for integration tests: ops, devices, push and pull."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

import httpx

from tests import dbutil
from tests.support.field import window

ISLAND = re.compile(r'<script type="application/json" id="field-data">(.*?)</script>', re.DOTALL)


def op(seq: int, kind: str, payload: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    """An op of type ``kind`` with a fresh op id, as a tablet sends it."""
    return {"op_id": str(uuid.uuid4()), "seq": seq, "type": kind, "payload": payload, **envelope}


def headcount(
    seq: int, session: int, category: str = "issuance_reserved", delta: int = 1
) -> dict[str, Any]:
    """A headcount op as a tablet sends it."""
    _, start, _ = window()
    payload = {
        "work_session_id": session,
        "slot_start": start.isoformat(),
        "category": category,
        "delta": delta,
    }
    return op(seq, "headcount.add", payload, client_time=dt.datetime.now(dt.UTC).isoformat())


def incident_create(
    seq: int, uid: str, description: str = "待ち時間の苦情", **payload: Any
) -> dict[str, Any]:
    """An incident.create op: a low-severity complaint at 本庁舎 five minutes ago, unless
    ``payload`` says otherwise."""
    occurred = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    fields = {
        "uid": uid,
        "site_id": 1,
        "category": "complaint",
        "severity": "low",
        "occurred_at": occurred.isoformat(),
        "description": description,
    }
    return op(seq, "incident.create", fields | payload)


def incident_edit(uid: str, seq: int, **fields: Any) -> dict[str, Any]:
    """An incident.update op from version 1."""
    return op(seq, "incident.update", {"uid": uid, **fields}, base_version=1)


async def device(client: httpx.AsyncClient, label: str = "tablet") -> str:
    """Register a device; returns its id."""
    response = await client.post("/api/devices", json={"label": label})
    assert response.status_code == 200, response.text
    assert response.json()["high_water"] == 0
    return str(response.json()["device_id"])


def push_body(device_id: str, ops: list[dict[str, Any]]) -> dict[str, Any]:
    """A push body (or an exported file) holding ``ops`` from ``device_id``."""
    return {"device_id": device_id, "schema_version": 1, "ops": ops}


async def push(client: httpx.AsyncClient, device_id: str, ops: list[dict[str, Any]]) -> Any:
    """Push a batch; returns the decoded answer."""
    response = await client.post("/api/sync/push", json=push_body(device_id, ops))
    assert response.status_code == 200, response.text
    return response.json()


async def pull_all(client: httpx.AsyncClient, cursor: int) -> tuple[list[dict[str, Any]], int]:
    """Pull page after page until nothing more remains; returns changes and the cursor."""
    changes: list[dict[str, Any]] = []
    for _ in range(1000):
        page = (await client.get("/api/sync/pull", params={"cursor": cursor, "limit": 200})).json()
        changes += page["changes"]
        assert page["next_cursor"] >= cursor
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return changes, cursor
    raise AssertionError("pull never finished")


def outcomes(answer: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(status, code) of each result."""
    return [(r["status"], r.get("code")) for r in answer["results"]]


def total(url: str, session: int) -> int:
    """Sum of the session's headcounts."""
    rows = dbutil.fetch(
        url, f"SELECT COALESCE(SUM(delta), 0) FROM headcount WHERE work_session = {session}"
    )
    return int(str(rows[0][0]))


def island(html: str) -> dict[str, Any]:
    """The field page's data island, decoded."""
    found = ISLAND.search(html)
    assert found, "no field-data island"
    data: dict[str, Any] = json.loads(found.group(1))
    return data
