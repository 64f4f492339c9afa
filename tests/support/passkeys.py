"""Passkey ceremonies over real HTTP with the software authenticator, for integration tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from server.auth import service as auth_service
from server.settings import Settings
from tests.support.soft_authenticator import SoftAuthenticator


async def invite_token(settings: Settings, role: str = "operator", hours: int = 24) -> str:
    """A fresh invite for a new person, as the CLI would make it."""
    created = await auth_service.create_invite(
        auth=settings.auth, role=role, display_name=f"試験 {uuid.uuid4().hex[:6]}", hours=hours
    )
    return created.token


async def register(
    client: httpx.AsyncClient,
    settings: Settings,
    token: str,
    authenticator: SoftAuthenticator,
    **create: Any,
) -> Any:
    """Run the registration ceremony; returns the verify response."""
    options = await client.post("/auth/register/options", json={"token": token})
    assert options.status_code == 200, options.text
    answer = authenticator.create(options.json(), origin=settings.auth.origins[0], **create)
    return await client.post("/auth/register/verify", json={"token": token, "credential": answer})


async def login(
    client: httpx.AsyncClient, settings: Settings, authenticator: SoftAuthenticator, **get: Any
) -> Any:
    """Run the discoverable login ceremony; returns the verify response."""
    options = await client.post("/auth/login/options", json={})
    assert options.status_code == 200, options.text
    assert options.json()["allowCredentials"] == []
    answer = authenticator.get(
        options.json(), origin=get.pop("origin", settings.auth.origins[0]), **get
    )
    return await client.post("/auth/login/verify", json={"credential": answer})


async def registered(client: httpx.AsyncClient, settings: Settings) -> SoftAuthenticator:
    """A new operator registered from a fresh invite (and so signed in); their authenticator."""
    authenticator = SoftAuthenticator()
    await register(client, settings, await invite_token(settings), authenticator)
    return authenticator
