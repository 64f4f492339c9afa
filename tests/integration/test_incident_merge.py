"""Incident edits from tablets, merged per field on base_version (server/incidents/service.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from server.settings import Settings
from tests import dbutil
from tests.support.field import new_uid, open_session
from tests.support.identities import sign_in
from tests.support.sync_api import device, incident_create, incident_edit, push


@pytest.fixture
async def incident(client: httpx.AsyncClient, settings: Settings) -> dict[str, Any]:
    """An incident (version 1) filed from tablet A; the operator is signed in."""
    ids = await open_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    uid = new_uid()
    tablet_a = await device(client, "A")
    await push(client, tablet_a, [incident_create(1, uid, work_session_id=ids["session"])])
    return {"uid": uid, "tablet_a": tablet_a}


async def test_an_edit_whose_only_field_clashes_is_a_conflict(
    client: httpx.AsyncClient, incident: dict[str, Any], database_url: str
) -> None:
    """An edit changing only a field changed since its base is a conflict record, not lost."""
    uid = incident["uid"]
    tablet_b = await device(client, "B")
    first = incident_edit(uid, 2, immediate_action="整理券を配布")
    await push(client, incident["tablet_a"], [first])
    b = await push(client, tablet_b, [incident_edit(uid, 1, immediate_action="責任者が説明")])
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
    first = incident_edit(uid, 2, immediate_action="整理券を配布")
    second = incident_edit(uid, 3, immediate_action="整理券を配布し、責任者が説明")
    answer = await push(client, incident["tablet_a"], [first, second])
    assert [r["status"] for r in answer["results"]] == ["applied", "applied"]
    assert dbutil.fetch(
        database_url, f"SELECT immediate_action, version FROM incident WHERE uid = '{uid}'"
    ) == [("整理券を配布し、責任者が説明", 3)]
    assert dbutil.fetch(
        database_url, f"SELECT count(*) FROM sync_issue WHERE op LIKE '%{uid}%'"
    ) == [(0,)]
