"""Registering and revoking a device, and a device's day reports, are ops on the one write
path: each leaves an audit entry naming who did it, and the chain still verifies."""

from __future__ import annotations

import datetime as dt

import httpx

from server.audit import service as audit
from server.audit.tables import AuditEvent
from server.settings import Settings
from tests.support.field import JST
from tests.support.identities import make_staff, sign_in


async def entries(action: str, device: str | None = None) -> list[dict[str, object]]:
    """The audit entries of ``action`` (about ``device``), oldest first."""
    query = AuditEvent.select(
        AuditEvent.actor_id, AuditEvent.device_id, AuditEvent.target, AuditEvent.detail
    ).where(AuditEvent.action == action)
    if device is not None:
        query = query.where(AuditEvent.target == f"device:{device}")
    return list(await query.order_by(AuditEvent.seq))


async def test_device_life_is_audited(client: httpx.AsyncClient, settings: Settings) -> None:
    """Register, report a day, revoke: three entries, each by its actor, chain intact."""
    operator = await make_staff("operator")
    await sign_in(client, operator, settings)
    registered = await client.post("/api/devices", json={"label": "会場タブレット"})
    assert registered.status_code == 200, registered.text
    tablet = registered.json()["device_id"]
    (entry,) = await entries("device.register", tablet)
    assert (entry["actor_id"], entry["device_id"]) == (operator, tablet)
    assert entry["target"] == f"device:{tablet}"

    day = dt.datetime.now(JST).date()
    report = {"device_id": tablet, "reports": [{"day": day.isoformat(), "op_count": 0}]}
    stored = await client.post("/api/sync/report", json=report)
    assert stored.json() == {"stored": 1}
    (entry,) = await entries("device.report_days", tablet)
    assert (entry["actor_id"], entry["device_id"]) == (operator, tablet)

    manager = await make_staff("overall_manager")
    await sign_in(client, manager, settings)
    revoked = await client.post(f"/devices/{tablet}/revoke")
    assert revoked.status_code == 303, revoked.text
    (entry,) = await entries("device.revoke", tablet)
    assert (entry["actor_id"], entry["target"]) == (manager, f"device:{tablet}")
    assert (await audit.verify()).ok

    # A revoked device's report stores nothing and writes no entry.
    await sign_in(client, operator, settings)
    assert (await client.post("/api/sync/report", json=report)).json() == {"stored": 0}
    assert len(await entries("device.report_days", tablet)) == 1


async def test_a_refused_registration_writes_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A label holding a My Number is refused, with no device and no audit entry."""
    await sign_in(client, await make_staff("operator"), settings)
    before = len(await entries("device.register"))
    refused = await client.post("/api/devices", json={"label": "1234 5678 9018"})
    assert refused.status_code == 422, refused.text
    assert len(await entries("device.register")) == before
