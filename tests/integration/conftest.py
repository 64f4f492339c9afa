"""Fixtures the integration tests share."""

from __future__ import annotations

import httpx
import pytest

from server.settings import Settings
from tests.support.audit_trail import Actors, since_now
from tests.support.field import open_session
from tests.support.identities import sign_in


@pytest.fixture
async def field(client: httpx.AsyncClient, settings: Settings) -> dict[str, int]:
    """An open session at 本庁舎 with its operator signed in."""
    ids = await open_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    return ids


@pytest.fixture
def audited(database_url: str) -> Actors:
    """``audited(action, target)``: the actors of this test's audit entries of ``action`` on
    ``target`` (tests/support/audit_trail.py), oldest first."""
    return since_now(database_url)
