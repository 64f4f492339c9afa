"""Fields that stored a My Number before issue 16: names are guarded, generated ids shaped.

V is a valid My Number. Each request is refused with a 4xx and writes nothing: the invite
form and ``madoguchi invite --name`` (a name: guarded, no control characters), a day
report's device id and digest (a UUID and a hex digest), an incident form's ``uid`` (a
UUID), and a passkey's transports (stored with it: lowercase names only).
"""

from __future__ import annotations

import datetime as dt
import uuid

import httpx

from server.auth import service as auth_service
from server.common.clock import JST
from server.settings import Settings
from tests import dbutil
from tests.support.harness import run_cli
from tests.support.identities import make_staff, sign_in
from tests.support.soft_authenticator import SoftAuthenticator

V = "057830862716"


def holds_v(url: str, table: str) -> bool:
    """Whether any row of ``table`` holds V anywhere."""
    return V in repr(dbutil.fetch(url, f"SELECT * FROM {table}"))


async def test_invite_names_are_guarded_in_the_form_and_the_cli(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A My Number or a control character in a name: the form says so, the CLI exits 2."""
    await sign_in(client, await make_staff("business_manager"), settings)
    for name in (f"番号 {V}", "0578-3086-2716", "名前\x00"):
        page = await client.post("/staff/invites", data={"display_name": name, "role": "operator"})
        assert 400 <= page.status_code < 500, (name, page.status_code)
    mine = await client.post("/staff/invites", data={"display_name": V, "role": "operator"})
    assert "個人番号（マイナンバー）と思われる" in mine.text
    cli = run_cli("invite", "--name", f"山田 {V}", "--role", "operator")
    assert cli.returncode == 2, cli.stdout
    assert "My Number" in cli.stderr and V not in cli.stderr
    assert dbutil.count(database_url, "invite") == 0
    ok = await client.post("/staff/invites", data={"display_name": "山田 花子", "role": "operator"})
    assert ok.status_code == 303 and dbutil.count(database_url, "invite") == 1


async def test_day_reports_take_only_a_device_uuid_and_a_hex_digest(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A report whose device id or digest is not of the shape the tablet makes is refused."""
    await sign_in(client, await make_staff("operator"), settings)
    device = (await client.post("/api/devices", json={"label": "tablet"})).json()["device_id"]
    day = {"day": "2030-04-01", "op_count": 1}
    for body in (
        {"device_id": device, "reports": [{**day, "digest": V}]},
        {"device_id": V, "reports": [{**day, "digest": "ab" * 32}]},
        {"device_id": device, "reports": [{**day, "op_count": 2**31, "digest": ""}]},
    ):
        response = await client.post("/api/sync/report", json=body)
        assert response.status_code == 400, response.text
    assert dbutil.count(database_url, "device_day_report") == 0
    good = {"device_id": device, "reports": [{**day, "digest": "ab" * 32}]}
    assert (await client.post("/api/sync/report", json=good)).json() == {"stored": 1}


async def test_the_incident_form_takes_only_a_uuid_uid(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """``uid`` becomes the incident's URL: anything but a UUID is refused, nothing filed."""
    await sign_in(client, await make_staff("operator"), settings)
    form = {
        "site_id": "1",
        "category": "complaint",
        "severity": "low",
        "occurred_date": dt.datetime.now(JST).date().isoformat(),
        "occurred_time": "00:00",
        "description": "窓口で苦情",
    }
    for uid in (V, "", "x" * 36):
        response = await client.post("/incidents", data={**form, "uid": uid})
        assert response.status_code == 400, (uid, response.status_code)
    assert dbutil.count(database_url, "incident") == 0
    filed = await client.post("/incidents", data={**form, "uid": str(uuid.uuid4())})
    assert filed.status_code == 303 and dbutil.count(database_url, "incident") == 1


async def test_passkey_transports_are_names_not_text(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A registration whose transports hold a My Number is refused; no passkey is kept."""
    authenticator = SoftAuthenticator()
    created = await auth_service.create_invite(
        auth=settings.auth, role="operator", display_name="新人"
    )
    options = await client.post("/auth/register/options", json={"token": created.token})
    answer = authenticator.create(options.json(), origin=settings.auth.origins[0])
    answer["response"]["transports"] = ["internal", V]
    refused = await client.post(
        "/auth/register/verify", json={"token": created.token, "credential": answer}
    )
    assert refused.status_code == 400 and refused.json()["error"] == "bad_payload"
    assert dbutil.count(database_url, "webauthn_credential") == 0
    assert not holds_v(database_url, "webauthn_credential")
    answer["response"]["transports"] = ["internal", "hybrid"]
    kept = await client.post(
        "/auth/register/verify", json={"token": created.token, "credential": answer}
    )
    assert kept.status_code == 200, kept.text
    stored = dbutil.fetch(database_url, "SELECT transports FROM webauthn_credential")
    assert stored == [("internal,hybrid",)]
