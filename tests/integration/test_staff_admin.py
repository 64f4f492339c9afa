"""Managers invite, re-invite and deactivate people from the roster page."""

from __future__ import annotations

import re

import httpx

from server.settings import Settings
from tests import dbutil
from tests.support.identities import make_staff, sign_in
from tests.support.passkeys import login, register
from tests.support.soft_authenticator import SoftAuthenticator


def invite_url(html: str) -> str:
    """The one-time link shown on the invite's page."""
    found = re.search(r'value="(http[^"]+/invite/[^"]+)"', html)
    assert found, html[-2000:]
    return found.group(1)


async def test_manager_invites_and_the_link_registers(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A business manager's invite link lets the new operator create a passkey."""
    manager = await make_staff("business_manager")
    await sign_in(client, manager, settings)
    page = await client.post(
        "/staff/invites",
        data={"display_name": "新人 一郎", "role": "operator"},
        follow_redirects=True,
    )
    assert page.status_code == 200
    url = invite_url(page.text)
    assert url.startswith(settings.auth.public_url + "/invite/")
    token = url.rsplit("/", 1)[-1]
    assert token not in repr(dbutil.fetch(database_url, "SELECT * FROM invite"))
    client.cookies.clear()
    await client.get("/health")
    client.headers["x-csrf-token"] = client.cookies["madoguchi_csrf"]
    response = await register(client, settings, token, SoftAuthenticator())
    assert response.status_code == 200
    roles = dbutil.fetch(database_url, "SELECT role FROM staff WHERE display_name = '新人 一郎'")
    assert roles == [("operator",)]


async def test_no_invites_above_own_role(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A deputy cannot invite a business manager; the page says why and no invite exists."""
    deputy = await make_staff("deputy_manager")
    await sign_in(client, deputy, settings)
    response = await client.post(
        "/staff/invites",
        data={"display_name": "上司", "role": "business_manager"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert "above your own role" in response.text
    assert dbutil.fetch(database_url, "SELECT count(*) FROM invite")[0][0] == 0


async def test_bad_invite_form_names_the_problem(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """An empty or overlong name is refused with a message and nothing is stored."""
    manager = await make_staff("overall_manager")
    await sign_in(client, manager, settings)
    for name in ("", "   ", "長" * 101):
        response = await client.post(
            "/staff/invites", data={"display_name": name, "role": "operator"}
        )
        assert response.status_code == 422
        assert "氏名を1〜100文字で入力してください" in response.text
    assert dbutil.fetch(database_url, "SELECT count(*) FROM invite")[0][0] == 0


async def test_reinvite_after_a_lost_passkey(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A re-invite adds a new passkey to the same person, who can sign in with it."""
    operator_key = SoftAuthenticator()
    manager = await make_staff("overall_manager")
    await sign_in(client, manager, settings)
    page = await client.post(
        "/staff/invites",
        data={"display_name": "紛失 花子", "role": "operator"},
        follow_redirects=True,
    )
    await register(client, settings, invite_url(page.text).rsplit("/", 1)[-1], operator_key)
    person = int(
        dbutil.fetch(database_url, "SELECT id FROM staff WHERE display_name = '紛失 花子'")[0][0]
    )
    await sign_in(client, manager, settings)
    again = await client.post(f"/staff/{person}/reinvite", follow_redirects=True)
    assert again.status_code == 200
    new_key = SoftAuthenticator()
    response = await register(client, settings, invite_url(again.text).rsplit("/", 1)[-1], new_key)
    assert response.status_code == 200
    owners = dbutil.fetch(
        database_url, f"SELECT staff FROM webauthn_credential WHERE staff = {person}"
    )
    assert len(owners) == 2
    assert dbutil.fetch(database_url, "SELECT count(*) FROM staff")[0][0] == 2
    assert (await login(client, settings, new_key)).status_code == 200


async def test_cannot_deactivate_self_or_a_superior(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A manager cannot deactivate themselves or someone above them."""
    boss = await make_staff("overall_manager")
    deputy = await make_staff("deputy_manager")
    await sign_in(client, deputy, settings)
    assert (await client.post(f"/staff/{deputy}/deactivate")).status_code == 422
    assert (await client.post(f"/staff/{boss}/deactivate")).status_code == 422
    active = dbutil.fetch(database_url, "SELECT count(*) FROM staff WHERE active")[0][0]
    assert active == 2
