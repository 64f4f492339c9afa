"""Passkeys in Chromium: the virtual authenticator, invites from the real CLI, registration.

Passkeys need the origin http://localhost:<port> (RP ID ``localhost``), so pages are opened
at ``localhost``, not at the live server's 127.0.0.1.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.support.harness import run_cli

AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}
INVITE_URL = re.compile(r"http://localhost:\d+/invite/\S+")


def origin_of(live_server: str) -> str:
    """The server as passkeys need it: http://localhost:<port>."""
    return live_server.replace("127.0.0.1", "localhost")


def unique_name(label: str) -> str:
    """A display name no other test uses (the tests share one database)."""
    return f"{label} {uuid.uuid4().hex[:8]}"


def invite(name: str, live_server: str, role: str = "overall_manager") -> str:
    """An invite made by the real CLI; returns the URL it prints."""
    port = str(urlsplit(live_server).port)
    result = run_cli("invite", "--name", name, "--role", role, env={"MADOGUCHI_PORT": port})
    assert result.returncode == 0, result.stderr
    found = INVITE_URL.search(result.stdout)
    assert found, result.stdout
    assert found.group(0).startswith(f"http://localhost:{port}/invite/")
    return found.group(0)


def add_authenticator(tab: Any, **overrides: bool) -> tuple[Any, str]:
    """A CDP session with a virtual platform authenticator; returns it and its id."""
    cdp = tab.context.new_cdp_session(tab)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator", {"options": {**AUTHENTICATOR, **overrides}}
    )
    return cdp, added["authenticatorId"]


def register(tab: Any, url: str, name: str, origin: str) -> None:
    """Open the invite, create the passkey and land signed in on the home page."""
    tab.goto(url)
    expect(tab.get_by_test_id("invite-name")).to_have_text(name)
    tab.get_by_test_id("passkey-register").click()
    tab.wait_for_url(f"{origin}/")
    expect(tab.get_by_test_id("me")).to_have_text(name)
