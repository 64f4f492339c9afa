"""Request logs are structured and carry no personal data."""

import json
import logging

import httpx
import pytest

from server.settings import Settings
from server.web.request_log import JsonFormatter


async def test_one_json_line_per_request(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Each request logs method, path, status and duration; never the query or cookies."""
    with caplog.at_level(logging.INFO, logger="madoguchi.request"):
        client.cookies.set("lang", "en")
        await client.get("/?name=山田太郎&number=123456789012")
    records = [r for r in caplog.records if r.name == "madoguchi.request"]
    assert len(records) == 1
    line = JsonFormatter().format(records[0])
    entry = json.loads(line)
    assert entry["method"] == "GET"
    assert entry["path"] == "/"
    assert entry["status"] == 200
    assert entry["duration_ms"] >= 0
    assert "山田" not in line
    assert "123456789012" not in line
    assert "lang" not in line


async def test_path_values_are_not_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An invite link's token (a path value) is logged as the route template, not itself."""
    with caplog.at_level(logging.INFO, logger="madoguchi.request"):
        await client.get("/invite/SECRET-TOKEN-1234567890")
    line = JsonFormatter().format(next(r for r in caplog.records if r.name == "madoguchi.request"))
    assert "SECRET-TOKEN" not in line
    assert json.loads(line)["path"] == "/invite/{token}"


async def test_a_path_no_route_matches_is_not_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A stray path (here holding a My Number) is logged as "(no route)", never as sent."""
    with caplog.at_level(logging.INFO, logger="madoguchi.request"):
        answer = await client.get("/nothing/057830862716")
    assert answer.status_code == 404
    line = JsonFormatter().format(next(r for r in caplog.records if r.name == "madoguchi.request"))
    assert "057830862716" not in line
    assert json.loads(line)["path"] == "(no route)"


async def test_a_server_error_logs_its_cause_without_its_message(
    client: httpx.AsyncClient,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 500 logs the exception's type and where our code raised it, never its message."""
    from server.sync import push as push_service
    from tests.support.field import open_session
    from tests.support.identities import sign_in

    ids = await open_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    device = (await client.post("/api/devices", json={"label": "t"})).json()["device_id"]

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("row (山田太郎, 123456789012) failed")

    monkeypatch.setattr(push_service, "push", broken)
    with caplog.at_level(logging.INFO, logger="madoguchi"):
        response = await client.post(
            "/api/sync/push", json={"device_id": device, "schema_version": 1, "ops": []}
        )
    assert response.status_code == 500
    errors = [r for r in caplog.records if r.name == "madoguchi.error"]
    assert len(errors) == 1
    line = JsonFormatter().format(errors[0])
    entry = json.loads(line)
    assert entry["error"] == "RuntimeError"
    assert entry["where"].startswith("server/sync/receive.py:")  # the call that failed
    assert entry["path"] == "/api/sync/push"
    assert "山田" not in line and "123456789012" not in line
