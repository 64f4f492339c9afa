"""Incident edits from tablets, merged per field on base_version (server/incidents/service.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from server.settings import Settings
from tests import dbutil
from tests.integration.test_sync_api import device, push
from tests.support.field import new_uid, open_session
from tests.support.identities import sign_in


@pytest.fixture
async def incident(client: httpx.AsyncClient, settings: Settings) -> dict[str, Any]:
    """An incident (version 1) filed from tablet A; the operator is signed in."""
    ids = await open_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    uid = new_uid()
    tablet_a = await device(client, "A")
    create = {
        "op_id": str(uuid.uuid4()),
        "seq": 1,
        "type": "incident.create",
        "payload": {
            "uid": uid,
            "site_id": 1,
            "work_session_id": ids["session"],
            "category": "complaint",
            "severity": "low",
            "occurred_at": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat(),
            "description": "待ち時間の苦情",
        },
    }
    await push(client, tablet_a, [create])
    return {"uid": uid, "tablet_a": tablet_a}


def edit(uid: str, seq: int, **fields: Any) -> dict[str, Any]:
    """An incident.update op from version 1."""
    return {
        "op_id": str(uuid.uuid4()),
        "seq": seq,
        "type": "incident.update",
        "base_version": 1,
        "payload": {"uid": uid, **fields},
    }


async def test_an_edit_whose_only_field_clashes_is_a_conflict(
    client: httpx.AsyncClient, incident: dict[str, Any], database_url: str
) -> None:
    """An edit changing only a field changed since its base is a conflict record, not lost."""
    uid = incident["uid"]
    tablet_b = await device(client, "B")
    await push(client, incident["tablet_a"], [edit(uid, 2, immediate_action="整理券を配布")])
    b = await push(client, tablet_b, [edit(uid, 1, immediate_action="責任者が説明")])
    assert (b["results"][0]["status"], b["results"][0]["field"]) == ("conflict", "immediate_action")
    assert dbutil.fetch(
        database_url,
        "SELECT field, server_value, incoming_value FROM sync_issue "
        f"WHERE status = 'conflict' AND op LIKE '%{uid}%'",
    ) == [("immediate_action", '"整理券を配布"', '"責任者が説明"')]
    assert dbutil.fetch(
        database_url, f"SELECT immediate_action, version FROM incident WHERE uid = '{uid}'"
    ) == [("整理券を配布", 2)]


async def test_a_tablets_second_edit_from_the_same_base_is_not_a_conflict(
    client: httpx.AsyncClient, incident: dict[str, Any], database_url: str
) -> None:
    """A tablet editing a field twice offline from one version saw its own first edit."""
    uid = incident["uid"]
    first = edit(uid, 2, immediate_action="整理券を配布")
    second = edit(uid, 3, immediate_action="整理券を配布し、責任者が説明")
    answer = await push(client, incident["tablet_a"], [first, second])
    assert [r["status"] for r in answer["results"]] == ["applied", "applied"]
    assert dbutil.fetch(
        database_url, f"SELECT immediate_action, version FROM incident WHERE uid = '{uid}'"
    ) == [("整理券を配布し、責任者が説明", 3)]
    assert dbutil.fetch(
        database_url, f"SELECT count(*) FROM sync_issue WHERE op LIKE '%{uid}%'"
    ) == [(0,)]
