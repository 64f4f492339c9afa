"""GET /health: the database check a load balancer relies on."""

import dataclasses

import httpx
import pytest
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.settings import Settings
from server.web.security import SECURITY_HEADERS


async def test_health_ok_with_security_headers(client: httpx.AsyncClient) -> None:
    """A reachable database gives 200, status ok, the engine's name and every security header."""
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["engine"] in ("sqlite", "postgres")
    for name, value in SECURITY_HEADERS:
        assert response.headers[name.decode()] == value.decode()
    assert "no-store" in response.headers["cache-control"]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:1/nowhere",
        "sqlite:////dev/null/not-a-folder/madoguchi.db",
    ],
    ids=["postgres-refused", "sqlite-unopenable"],
)
async def test_health_503_when_database_unreachable(settings: Settings, url: str) -> None:
    """An unreachable database gives 503 and a JSON body, not a stack trace."""
    broken = dataclasses.replace(settings, database=dataclasses.replace(settings.database, url=url))
    async with AsyncTestClient(app=create_app(broken)) as client:
        response = await client.get("/health")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "unreachable",
        "engine": broken.database.engine,
    }
    assert "Traceback" not in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
