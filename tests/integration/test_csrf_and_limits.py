"""CSRF protection on unsafe requests and sign-in rate limits shared through the database."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx

from server.app import create_app
from server.auth import service as auth_service
from server.auth.web import CSRF_HEADER
from server.settings import Settings
from tests import dbutil
from tests.support.harness import open_client


async def test_unsafe_request_without_token_is_refused(client: httpx.AsyncClient) -> None:
    """A POST without the CSRF token gets 403 and changes nothing."""
    del client.headers[CSRF_HEADER]
    response = await client.post("/lang", data={"lang": "en", "next": "/"})
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


async def test_wrong_token_is_refused(client: httpx.AsyncClient) -> None:
    """A token that is not the cookie's is refused."""
    client.headers[CSRF_HEADER] = "x" * 43
    response = await client.post("/lang", data={"lang": "en", "next": "/"})
    assert response.status_code == 403


async def test_form_field_token_works_without_header(client: httpx.AsyncClient) -> None:
    """Plain HTML forms (no JavaScript) send the token as a form field."""
    token = client.headers.pop(CSRF_HEADER)
    response = await client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": token})
    assert response.status_code == 303


async def test_cross_site_origin_is_refused_even_with_token(client: httpx.AsyncClient) -> None:
    """A request from another origin is refused even when it carries a valid token."""
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = await client.post("/lang", data={"lang": "en", "next": "/"}, headers=headers)
        assert response.status_code == 403


async def test_same_origin_request_passes(client: httpx.AsyncClient) -> None:
    """A browser's same-origin request with the token passes."""
    response = await client.post(
        "/lang",
        data={"lang": "en", "next": "/"},
        headers={"Origin": "http://127.0.0.1", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 303


async def test_rate_limit_is_shared_between_workers(settings: Settings, database_url: str) -> None:
    """Two app instances (two workers) count attempts together and refuse past the limit."""
    strict = dataclasses.replace(settings, auth=dataclasses.replace(settings.auth, signin_limit=4))
    dbutil.execute(database_url, "DELETE FROM rate_limit")
    try:
        async with (
            open_client(create_app(strict)) as first,
            open_client(create_app(strict)) as second,
        ):
            codes = []
            for attempt in range(6):
                worker = first if attempt % 2 == 0 else second
                codes.append((await worker.post("/auth/login/options", json={})).status_code)
            assert codes == [200, 200, 200, 200, 429, 429]
            body = (await first.post("/auth/login/options", json={})).json()
            assert body["error"] == "rate_limited"
    finally:
        dbutil.execute(database_url, "DELETE FROM rate_limit")
        dbutil.execute(database_url, "DELETE FROM webauthn_challenge")


async def test_rate_limit_window_resets(settings: Settings, database_url: str) -> None:
    """After the window has passed, attempts are allowed again."""
    dbutil.execute(database_url, "DELETE FROM rate_limit")
    key = "signin:test-window"
    assert await auth_service.hit_rate_limit(key, limit=1, window_seconds=300)
    assert not await auth_service.hit_rate_limit(key, limit=1, window_seconds=300)
    dbutil.execute(database_url, "UPDATE rate_limit SET window_start = '2020-01-01 00:00:00+00:00'")
    assert await auth_service.hit_rate_limit(key, limit=1, window_seconds=300)
    dbutil.execute(database_url, "DELETE FROM rate_limit")


async def test_concurrent_audit_appends_keep_one_chain(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Many writers at once still produce one unbroken chain."""
    from server.audit import service as audit

    await asyncio.gather(
        *(
            auth_service.create_invite(auth=settings.auth, role="operator", display_name="x")
            for _ in range(20)
        )
    )
    result = await audit.verify()
    assert result.ok, result
