"""Managers invite, re-invite and deactivate people from the roster page."""

from __future__ import annotations

import re
from typing import Any

import httpx

from server.settings import Settings
from tests import dbutil
from tests.support.identities import make_signed_in, make_staff, sign_in
from tests.support.passkeys import login, register
from tests.support.soft_authenticator import SoftAuthenticator


def invite_url(html: str) -> str:
    """The one-time link shown on the invite's page."""
    found = re.search(r'value="(http[^"]+/invite/[^"]+)"', html)
    assert found, html[-2000:]
    return found.group(1)


def invite_token(html: str) -> str:
    """The token at the end of the invite's one-time link."""
    return invite_url(html).rsplit("/", 1)[-1]


async def post_invite(
    client: httpx.AsyncClient, name: str, role: str = "operator", **options: Any
) -> httpx.Response:
    """Send the roster's invite form for ``name`` as ``role``."""
    return await client.post("/staff/invites", data={"display_name": name, "role": role}, **options)


async def expect_refused(
    client: httpx.AsyncClient,
    database_url: str,
    names: list[str],
    role: str,
    message: str,
    **options: Any,
) -> None:
    """Inviting each of ``names`` as ``role`` is refused (422, ``message``); no invite exists."""
    for name in names:
        response = await post_invite(client, name, role, **options)
        assert response.status_code == 422
        assert message in response.text
    assert dbutil.fetch(database_url, "SELECT count(*) FROM invite")[0][0] == 0


async def test_manager_invites_and_the_link_registers(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A business manager's invite link lets the new operator create a passkey."""
    await make_signed_in(client, "business_manager", settings)
    page = await post_invite(client, "新人 一郎", follow_redirects=True)
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
    await make_signed_in(client, "deputy_manager", settings)
    await expect_refused(
        client,
        database_url,
        ["上司"],
        "business_manager",
        "above your own role",
        headers={"Accept-Language": "en"},
    )


async def test_bad_invite_form_names_the_problem(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """An empty or overlong name is refused with a message and nothing is stored."""
    await make_signed_in(client, "overall_manager", settings)
    await expect_refused(
        client,
        database_url,
        ["", "   ", "長" * 101],
        "operator",
        "氏名を1〜100文字で入力してください",
    )


async def test_reinvite_after_a_lost_passkey(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A re-invite adds a new passkey to the same person, who can sign in with it."""
    operator_key = SoftAuthenticator()
    manager = await make_staff("overall_manager")
    await sign_in(client, manager, settings)
    page = await post_invite(client, "紛失 花子", follow_redirects=True)
    await register(client, settings, invite_token(page.text), operator_key)
    person = int(
        dbutil.fetch(database_url, "SELECT id FROM staff WHERE display_name = '紛失 花子'")[0][0]
    )
    await sign_in(client, manager, settings)
    again = await client.post(f"/staff/{person}/reinvite", follow_redirects=True)
    assert again.status_code == 200
    new_key = SoftAuthenticator()
    response = await register(client, settings, invite_token(again.text), new_key)
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
    deputy = await make_signed_in(client, "deputy_manager", settings)
    assert (await client.post(f"/staff/{deputy}/deactivate")).status_code == 422
    assert (await client.post(f"/staff/{boss}/deactivate")).status_code == 422
    active = dbutil.fetch(database_url, "SELECT count(*) FROM staff WHERE active")[0][0]
    assert active == 2
