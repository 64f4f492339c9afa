"""Invite links from the roster: made once per POST, shown once, listed while pending,
revocable, and refused once revoked; the role picker starts at the lowest role."""

from __future__ import annotations

import hashlib
import re

import httpx
import pytest

from server.settings import Settings
from tests import dbutil
from tests.support.audit_trail import Actors
from tests.support.identities import make_staff, sign_in

INVITE_LINK = re.compile(r'value="(http[^"]+/invite/([A-Za-z0-9_-]{43}))"')


def invites(url: str, name: str) -> list[tuple[object, ...]]:
    """The invite rows for ``name``: id, token hash, revoked_at, created_by."""
    return dbutil.fetch(
        url,
        "SELECT id, token_hash, revoked_at, created_by FROM invite "
        f"WHERE display_name = '{name}' ORDER BY id",
    )


async def create(client: httpx.AsyncClient, name: str, role: str = "operator") -> httpx.Response:
    """POST the invite form, not following the redirect."""
    return await client.post(
        "/staff/invites", data={"display_name": name, "role": role}, follow_redirects=False
    )


async def test_invite_post_redirects_and_a_reload_makes_no_second_link(
    audited: Actors, client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """POST answers 303 to the invite's page, which shows the link once (the token never in
    a URL, never stored); reloading it shows no link and creates no second invite."""
    manager = await make_staff("business_manager")
    await sign_in(client, manager, settings)
    posted = await create(client, "招待 一郎")
    assert posted.status_code == 303, posted.text[-1500:]
    [(invite_id, token_hash, revoked, created_by)] = invites(database_url, "招待 一郎")
    location = posted.headers["location"]
    assert location == f"/staff/invites/{invite_id}"
    assert revoked is None and created_by == manager

    shown = await client.get(location)
    assert shown.status_code == 200
    assert "no-store" in shown.headers["cache-control"]
    found = INVITE_LINK.search(shown.text)
    assert found, shown.text[-2000:]
    url, token = found.groups()
    assert url == f"{settings.auth.public_url}/invite/{token}"
    assert hashlib.sha256(token.encode()).hexdigest() == token_hash
    assert token not in location
    assert token not in repr(dbutil.fetch(database_url, "SELECT * FROM invite"))
    assert audited("invite.create", f"invite:{invite_id}") == [(manager,)]

    again = await client.get(location)
    assert again.status_code == 200
    assert token not in again.text and not INVITE_LINK.search(again.text)
    assert 'data-testid="invite-shown-once"' in again.text
    assert len(invites(database_url, "招待 一郎")) == 1
    # The invite still works: the link was only hidden from the page, not spent.
    assert (await client.get(f"/invite/{token}")).status_code == 200


async def test_reinvite_also_redirects_to_a_link_shown_once(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A new passkey link for an existing person is made the same way: 303, shown once."""
    manager = await make_staff("overall_manager")
    person = await make_staff("operator")
    await sign_in(client, manager, settings)
    posted = await client.post(f"/staff/{person}/reinvite", follow_redirects=False)
    assert posted.status_code == 303
    shown = await client.get(posted.headers["location"])
    assert INVITE_LINK.search(shown.text), shown.text[-2000:]
    assert not INVITE_LINK.search((await client.get(posted.headers["location"])).text)
    assert dbutil.fetch(database_url, f"SELECT count(*) FROM invite WHERE staff = {person}") == [
        (1,)
    ]


async def test_pending_invites_are_listed_and_a_revoked_link_is_refused(
    audited: Actors, client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """The roster lists the pending invite (name, role, who made it, expiry) with a revoke
    that asks first; revoking is audited, drops it from the list and refuses its link."""
    manager = await make_staff("business_manager")
    await sign_in(client, manager, settings)
    posted = await create(client, "取消 花子", "deputy_manager")
    token = INVITE_LINK.search((await client.get(posted.headers["location"])).text)
    assert token
    [(invite_id, *_)] = invites(database_url, "取消 花子")

    roster = await client.get("/staff")
    item = re.search(rf'<li[^>]*data-invite-id="{invite_id}".*?</li>', roster.text, re.S)
    assert item, roster.text[-3000:]
    listed = item.group(0)
    assert "取消 花子" in listed and "副責任者" in listed
    creator = dbutil.fetch(database_url, f"SELECT display_name FROM staff WHERE id = {manager}")
    assert str(creator[0][0]) in listed
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日\(.\) \d{2}:\d{2}", listed)  # when it expires
    assert 'data-testid="revoke-confirm"' in listed  # the revoke asks first
    assert f'action="/staff/invites/{invite_id}/revoke"' in listed

    revoked = await client.post(f"/staff/invites/{invite_id}/revoke", follow_redirects=False)
    assert revoked.status_code == 303
    [(_, _, revoked_at, _)] = invites(database_url, "取消 花子")
    assert revoked_at is not None
    assert audited("invite.revoke", f"invite:{invite_id}") == [(manager,)]
    assert f'data-invite-id="{invite_id}"' not in (await client.get("/staff")).text

    link = token.group(2)
    page = await client.get(f"/invite/{link}", headers={"Accept-Language": "ja"})
    assert page.status_code == 410
    assert "この招待リンクは取り消されました" in page.text
    assert 'data-testid="passkey-register"' not in page.text
    english = await client.get(f"/invite/{link}", headers={"Accept-Language": "en"})
    assert "This invite link was revoked" in english.text
    api = await client.post("/auth/register/options", json={"token": link})
    assert api.json()["error"] == "invite_revoked"
    # Revoking twice says so rather than failing quietly.
    twice = await client.post(f"/staff/invites/{invite_id}/revoke", follow_redirects=False)
    assert twice.status_code == 422


async def test_no_revoking_an_invite_above_own_role(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A deputy cannot revoke an invite for a business manager."""
    boss = await make_staff("overall_manager")
    await sign_in(client, boss, settings)
    await create(client, "上位 招待", "business_manager")
    [(invite_id, *_)] = invites(database_url, "上位 招待")
    await sign_in(client, await make_staff("deputy_manager"), settings)
    refused = await client.post(f"/staff/invites/{invite_id}/revoke", follow_redirects=False)
    assert refused.status_code == 422
    assert invites(database_url, "上位 招待")[0][2] is None


@pytest.mark.parametrize("role", ["overall_manager", "business_manager", "deputy_manager"])
async def test_role_picker_defaults_to_the_lowest_role(
    client: httpx.AsyncClient, settings: Settings, role: str
) -> None:
    """The invite form's role starts at operator, whatever the manager's own role."""
    await sign_in(client, await make_staff(role), settings)
    page = await client.get("/staff")
    select = re.search(r'<select name="role"[^>]*>(.*?)</select>', page.text, re.S)
    assert select, page.text[-3000:]
    selected = re.findall(r'<option value="([a-z_]+)" selected>', select.group(1))
    assert selected == ["operator"]
