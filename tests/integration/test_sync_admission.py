"""Push and pull are admitted like every route: an app-wide guard or middleware added later
(maintenance mode, an IP rule, a rate limit) applies to them too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from litestar.config.app import AppConfig
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import ServiceUnavailableException
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins import InitPluginProtocol
from litestar.types import ASGIApp, HTTPResponseStartEvent, Receive, Scope, Send

from server.app import create_app
from server.settings import Settings
from tests.support.cleanup import remove_test_rows_async
from tests.support.field import open_session
from tests.support.harness import open_client
from tests.support.identities import sign_in
from tests.support.sync_api import device, headcount

MAINTENANCE = 503


@dataclass(eq=False)  # plugins are kept in a set: hashed by identity
class Maintenance(InitPluginProtocol):
    """Maintenance mode as a plugin would add it: an app-wide guard or middleware that,
    once ``on``, refuses every request and counts those it refused."""

    kind: str
    on: bool = False
    refused: list[str] = field(default_factory=list)

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Add the guard or the middleware to the whole app."""
        if self.kind == "guard":
            app_config.guards.append(self.guard)
        else:
            app_config.middleware.append(self.middleware)
        return app_config

    async def guard(
        self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
    ) -> None:
        """Refuse everything while on."""
        if self.on:
            self.refused.append(connection.scope["path"])
            raise ServiceUnavailableException("Down for maintenance.")

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """Answer everything with a 503 while on."""

        async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
            if not self.on or scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            self.refused.append(scope["path"])
            start: HTTPResponseStartEvent = {
                "type": "http.response.start",
                "status": MAINTENANCE,
                "headers": [],
            }
            await send(start)
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        return refuse


@pytest.fixture(params=["guard", "middleware"])
async def maintenance(
    request: pytest.FixtureRequest, settings: Settings, database_url: str
) -> AsyncIterator[tuple[Maintenance, httpx.AsyncClient, str, int]]:
    """The app with maintenance mode (off), an operator signed in with a device."""
    mode = Maintenance(request.param)
    try:
        async with open_client(create_app(settings, plugins=[mode])) as http:
            ids = await open_session(settings, site_id=1)
            await sign_in(http, ids["operator"], settings)
            yield mode, http, await device(http), ids["session"]
    finally:
        await remove_test_rows_async(database_url)


async def test_an_app_wide_refusal_refuses_push_and_pull_too(
    maintenance: tuple[Maintenance, httpx.AsyncClient, str, int],
) -> None:
    """With maintenance on, a good push and a plain pull are refused like any other route,
    and the push writes nothing."""
    mode, http, tablet, session = maintenance
    batch = {"device_id": tablet, "schema_version": 1, "ops": [headcount(1, session)]}
    mode.on = True
    pushed = await http.post("/api/sync/push", json=batch)
    pulled = await http.get("/api/sync/pull", params={"device_id": tablet})
    page = await http.get("/sync/upload")
    assert [pushed.status_code, pulled.status_code, page.status_code] == [MAINTENANCE] * 3
    assert mode.refused == ["/api/sync/push", "/api/sync/pull", "/sync/upload"]
    mode.on = False
    mark = await http.get("/api/sync/pull", params={"device_id": tablet})
    assert mark.status_code == 200 and mark.json()["high_water"] == 0
    assert (await http.post("/api/sync/push", json=batch)).status_code == 200
