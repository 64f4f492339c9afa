"""Request logs are structured and carry no personal data."""

import json
import logging

import httpx
import pytest

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
