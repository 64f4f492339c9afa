"""Work session edits from devices, merged per field on base_version (server/ops/merge.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from server.common.errors import OpRejected
from server.ops.apply import apply_op
from server.ops.context import Actor
from server.settings import Settings
from server.sync import ops
from tests import dbutil
from tests.support.field import open_session
from tests.support.identities import sign_in
from tests.support.sync_api import device, push


@pytest.fixture
async def planned(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> dict[str, Any]:
    """An open work session, its version now, and its manager signed in."""
    ids = await open_session(settings, site_id=1)
    await sign_in(client, ids["manager"], settings)
    [(version,)] = dbutil.fetch(
        database_url, f"SELECT version FROM work_session WHERE id = {ids['session']}"
    )
    return {**ids, "version": int(version)}


def update(planned: dict[str, Any], seq: int, **fields: Any) -> dict[str, Any]:
    """A work_session.update op made from the version the fixture saw."""
    return {
        "op_id": str(uuid.uuid4()),
        "seq": seq,
        "type": "work_session.update",
        "base_version": planned["version"],
        "payload": {"work_session_id": planned["session"], **fields},
    }


def session_row(url: str, session: int) -> tuple[Any, ...]:
    """(notes, planned_end as text, version) of a session."""
    [row] = dbutil.fetch(
        url, f"SELECT notes, planned_end, version FROM work_session WHERE id = {session}"
    )
    return tuple(row)


def conflicts(url: str) -> list[tuple[Any, ...]]:
    """Conflict records on work sessions: (entity, field, server value, incoming value)."""
    return dbutil.fetch(
        url,
        "SELECT entity, field, server_value, incoming_value FROM sync_issue "
        "WHERE status = 'conflict' AND entity LIKE 'work_session:%' ORDER BY id",
    )


async def test_same_field_from_the_same_base_keeps_both_values(
    client: httpx.AsyncClient, planned: dict[str, Any], database_url: str
) -> None:
    """Two devices change the notes from one version: the first wins, the second is a conflict."""
    a, b = await device(client, "A"), await device(client, "B")
    first = await push(client, a, [update(planned, 1, notes="入口で整理券を配布")])
    second = await push(client, b, [update(planned, 1, notes="受付は2階へ移動")])
    assert [r["status"] for r in first["results"] + second["results"]] == ["applied", "conflict"]
    assert session_row(database_url, planned["session"])[0] == "入口で整理券を配布"
    assert conflicts(database_url) == [
        (f"work_session:{planned['session']}", "notes", '"入口で整理券を配布"', '"受付は2階へ移動"')
    ]


async def test_different_fields_from_the_same_base_are_both_kept(
    client: httpx.AsyncClient, planned: dict[str, Any], database_url: str
) -> None:
    """One device changes the notes, another the planned end: both apply, no conflict."""
    a, b = await device(client, "A"), await device(client, "B")
    [(end,)] = dbutil.fetch(
        database_url, f"SELECT planned_end FROM work_session WHERE id = {planned['session']}"
    )
    later = (
        end if isinstance(end, dt.datetime) else dt.datetime.fromisoformat(str(end))
    ) + dt.timedelta(minutes=30)
    await push(client, a, [update(planned, 1, notes="午後は2名体制")])
    answer = await push(client, b, [update(planned, 1, planned_end=later.isoformat())])
    assert answer["results"][0]["status"] == "applied"
    notes, stored_end, version = session_row(database_url, planned["session"])
    stored = (
        stored_end
        if isinstance(stored_end, dt.datetime)
        else dt.datetime.fromisoformat(str(stored_end))
    )
    assert (notes, stored.astimezone(dt.UTC), version) == (
        "午後は2名体制",
        later.astimezone(dt.UTC),
        planned["version"] + 2,
    )
    assert conflicts(database_url) == []


async def test_a_devices_second_edit_from_one_base_is_not_a_conflict(
    client: httpx.AsyncClient, planned: dict[str, Any], database_url: str
) -> None:
    """A device editing the same field twice from one version saw its own first edit."""
    a = await device(client, "A")
    await push(client, a, [update(planned, 1, notes="一回目"), update(planned, 2, notes="二回目")])
    assert session_row(database_url, planned["session"])[0] == "二回目"
    assert conflicts(database_url) == []


async def test_a_stale_form_edit_is_refused_not_merged(
    planned: dict[str, Any], settings: Settings, database_url: str
) -> None:
    """Without conflict records (a form), a stale edit of a changed field is refused."""
    manager = Actor(staff_id=planned["manager"], role="business_manager")
    base = planned["version"]
    fresh = ops.WorkSessionUpdate(
        base_version=base,
        payload=ops.UpdateWorkSession(work_session_id=planned["session"], notes="最新"),
    )
    await apply_op(fresh, manager, settings.field)
    stale = ops.WorkSessionUpdate(
        base_version=base,
        payload=ops.UpdateWorkSession(work_session_id=planned["session"], notes="古い画面から"),
    )
    with pytest.raises(OpRejected) as refused:
        await apply_op(stale, manager, settings.field)
    assert (refused.value.code, refused.value.field) == ("conflict", "notes")
    assert session_row(database_url, planned["session"])[0] == "最新"
