"""Applying a tablet's exported file at /sync/upload: a supervisor's upload applies each
op as the person who made it and names the uploader; what cannot be applied is kept for
review with its reason, and an upload never says "received" of an op it dropped."""

from __future__ import annotations

import json
from typing import Any

import httpx

from server.settings import Settings
from tests import dbutil
from tests.support.identities import make_staff, sign_in
from tests.support.leaks import leaks
from tests.support.sync_api import device, headcount, total

V = "057830862716"


async def upload(client: httpx.AsyncClient, device_id: str, ops: list[dict[str, Any]]) -> str:
    """Upload an export file as the page's form sends it; returns the page."""
    batch = {"device_id": device_id, "schema_version": 1, "ops": ops}
    files = {"file": ("madoguchi-unsent.json", json.dumps(batch).encode(), "application/json")}
    page = await client.post(
        "/sync/upload", files=files, data={"csrf_token": client.headers["x-csrf-token"]}
    )
    assert page.status_code == 200, page.text
    return page.text


def made_by(ops: list[dict[str, Any]], staff_id: int) -> list[dict[str, Any]]:
    return [op | {"actor_id": staff_id} for op in ops]


async def test_a_supervisor_applies_an_operators_file_as_the_operators_ops(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str, settings: Settings
) -> None:
    """Three taps exported offline reach the totals; the audit log names the operator as
    their maker and the business manager as the uploader; uploading again adds nothing."""
    tablet = await device(client)  # registered by the operator, who then went offline
    taps = made_by([headcount(seq, field["session"]) for seq in (1, 2, 3)], field["operator"])
    await sign_in(client, field["in_charge"], settings)  # a business manager
    page = await upload(client, tablet, taps)
    assert 'data-testid="applied">3<' in page
    assert total(database_url, field["session"]) == 3
    entries = dbutil.fetch(
        database_url,
        f"SELECT action, actor_id, detail FROM audit_event WHERE device_id = '{tablet}' "
        "ORDER BY seq",
    )
    assert [(a, actor) for a, actor, _ in entries] == [
        ("device.register", field["operator"]),
        ("headcount.add", field["operator"]),
        ("sync.upload", field["in_charge"]),
    ]
    detail = json.loads(str(entries[1][2]))
    assert detail["uploaded_by"] == field["in_charge"]
    assert sorted(detail["op_ids"]) == sorted(op["op_id"] for op in taps)
    for person in (field["in_charge"], field["operator"]):
        await sign_in(client, person, settings)
        again = await upload(client, tablet, taps)
        assert 'data-testid="duplicate">3<' in again
        assert 'data-testid="awaiting"' not in again
    assert total(database_url, field["session"]) == 3
    assert dbutil.fetch(database_url, "SELECT COUNT(*) FROM sync_issue") == [(0,)]


async def test_an_operators_upload_of_someone_elses_ops_keeps_them_for_review(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str, settings: Settings
) -> None:
    """Another operator cannot apply the file: each op is kept with its reason and the
    uploader; the page lists the reason, and a second upload says so again."""
    tablet = await device(client)
    taps = made_by([headcount(seq, field["session"]) for seq in (1, 2)], field["operator"])
    other = await make_staff("operator")
    await sign_in(client, other, settings)
    page = await upload(client, tablet, taps)
    assert 'data-testid="rejected">2<' in page
    assert "別の人がサインインして作成した" in page
    kept = dbutil.fetch(database_url, "SELECT code, actor_id, uploaded_by FROM sync_issue")
    assert kept == [("actor_unverified", field["operator"], other)] * 2
    # Received before and refused: the refusal is answered again, never "received".
    again = await upload(client, tablet, taps)
    assert 'data-testid="rejected">2<' in again and 'data-testid="duplicate">0<' in again
    assert "別の人がサインインして作成した" in again
    assert len(dbutil.fetch(database_url, "SELECT id FROM sync_issue")) == 2
    assert total(database_url, field["session"]) == 0


async def test_a_my_number_in_an_uploaded_file_is_never_stored(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str, settings: Settings
) -> None:
    """A refused My Number in an uploaded op is masked in what is kept for review."""
    tablet = await device(client)
    op = {
        "op_id": "0192f0a0-0000-7000-8000-000000000001",
        "seq": 1,
        "type": "incident.create",
        "actor_id": field["operator"],
        "payload": {
            "uid": "0192f0a0-0000-4000-8000-000000000002",
            "site_id": 1,
            "category": "other",
            "severity": "low",
            "occurred_at": "2026-12-03T10:00:00+09:00",
            "description": f"番号は{V}",
        },
    }
    await sign_in(client, field["in_charge"], settings)
    page = await upload(client, tablet, [op])
    assert 'data-testid="rejected">1<' in page
    kept = dbutil.fetch(database_url, "SELECT code, op FROM sync_issue")
    assert kept[0][0] == "my_number"
    assert V not in str(kept[0][1]) and not leaks(str(kept[0][1]))
