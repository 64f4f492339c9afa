"""Fixtures the integration tests share."""

from __future__ import annotations

import httpx
import pytest

from server.settings import Settings
from tests.support.field import open_session
from tests.support.identities import sign_in


@pytest.fixture
async def field(client: httpx.AsyncClient, settings: Settings) -> dict[str, int]:
    """An open session at 本庁舎 with its operator signed in."""
    ids = await open_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    return ids
