"""Where signing in leads: back to the page that asked for it, else operators to 本日の
業務 and everyone else home; never to another site."""

from __future__ import annotations

import re

import httpx
import pytest

from server.auth.policy import safe_next
from server.settings import Settings
from tests.support.passkeys import invite_token, login, register
from tests.support.soft_authenticator import SoftAuthenticator

PAGE = {"accept": "text/html"}
NEXT = re.compile(r'id="passkey-login" data-next="([^"]*)"')


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("/incidents", "/incidents"),
        ("/work-sessions?status=open", "/work-sessions?status=open"),
        ("//evil.example/x", None),
        ("https://evil.example/", None),
        ("/\\evil.example", None),
        ("/login?next=/x", None),
        ("/field\r\nSet-Cookie: x=1", None),
        ("", None),
        (None, None),
    ],
)
def test_only_a_path_of_ours_is_returned_to(value: str | None, kept: str | None) -> None:
    """Another host, a scheme, a backslash, control characters or the sign-in page itself
    are never where a sign-in leads."""
    assert safe_next(value) == kept


async def test_a_page_that_needs_signing_in_is_returned_to(client: httpx.AsyncClient) -> None:
    """Signed out, a page sends the browser to sign in with itself as ``next``; the sign-in
    page carries it (checked), and a foreign one is dropped."""
    asked = await client.get("/work-sessions?status=open", headers=PAGE)
    assert asked.status_code == 303
    assert asked.headers["location"] == "/login?next=%2Fwork-sessions%3Fstatus%3Dopen"
    shown = await client.get(asked.headers["location"], headers=PAGE)
    assert NEXT.search(shown.text) and NEXT.search(shown.text).group(1) == (  # type: ignore[union-attr]
        "/work-sessions?status=open"
    )
    foreign = await client.get("/login", params={"next": "//evil.example/"}, headers=PAGE)
    assert foreign.status_code == 200 and not NEXT.search(foreign.text)


@pytest.mark.parametrize(("role", "lands"), [("operator", "/field"), ("deputy_manager", "/")])
async def test_operators_land_on_today_and_others_home(
    client: httpx.AsyncClient, settings: Settings, role: str, lands: str
) -> None:
    """The sign-in answer names where to go; signed in, the sign-in page goes there too, or
    to the page asked for."""
    authenticator = SoftAuthenticator()
    registered = await register(client, settings, await invite_token(settings, role), authenticator)
    assert registered.status_code == 200 and registered.json()["redirect"] == lands
    client.cookies.delete("madoguchi_session")
    signed_in = await login(client, settings, authenticator)
    assert signed_in.status_code == 200 and signed_in.json()["redirect"] == lands
    again = await client.get("/login", headers=PAGE)
    assert again.status_code in (302, 303) and again.headers["location"] == lands
    back = await client.get("/login", params={"next": "/incidents"}, headers=PAGE)
    assert back.headers["location"] == "/incidents"
