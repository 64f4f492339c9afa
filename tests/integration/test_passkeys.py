"""Passkey registration and sign-in through real HTTP, with our software authenticator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from server.auth import service as auth_service
from server.auth.web import SESSION_COOKIE
from server.settings import Settings
from tests import dbutil
from tests.support.passkeys import invite_token, login, register, registered
from tests.support.soft_authenticator import SoftAuthenticator


@contextmanager
def no_new_login_session(database_url: str) -> Iterator[None]:
    """The block leaves as many login sessions as there were before it."""
    before = dbutil.count(database_url, "login_session")
    yield
    assert dbutil.count(database_url, "login_session") == before


async def test_register_creates_person_passkey_and_session(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """An invite makes one person with one passkey, signs them in and cannot be used twice."""
    token = await invite_token(settings)
    authenticator = SoftAuthenticator()
    response = await register(client, settings, token, authenticator)
    assert response.status_code == 200, response.text
    assert response.json() == {"redirect": "/field"}  # an operator lands on 本日の業務
    assert dbutil.count(database_url, "staff") == 1
    assert dbutil.count(database_url, "webauthn_credential") == 1
    home = await client.get("/")
    assert 'data-testid="me"' in home.text
    handle = dbutil.fetch(database_url, "SELECT user_handle, id FROM staff")[0]
    assert handle[0] != str(handle[1]) and len(str(handle[0])) >= 40

    again = await client.post("/auth/register/options", json={"token": token})
    assert again.status_code == 400
    assert again.json()["error"] == "invite_used"


async def test_login_without_a_name_and_sign_count(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Login needs no name; each login gets a new session id and the sign count advances."""
    authenticator = SoftAuthenticator()
    first = await register(client, settings, await invite_token(settings), authenticator)
    first_session = first.cookies[SESSION_COOKIE]
    client.cookies.clear()
    await client.get("/health")
    client.headers["x-csrf-token"] = client.cookies["madoguchi_csrf"]
    for expected in (1, 2):
        response = await login(client, settings, authenticator)
        assert response.status_code == 200, response.text
        assert response.cookies[SESSION_COOKIE] != first_session
        counts = dbutil.fetch(database_url, "SELECT sign_count FROM webauthn_credential")
        assert counts == [(expected,)]
    assert 'data-testid="me"' in (await client.get("/")).text


async def test_sign_count_going_backwards_is_refused(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A counter lower than the stored one (a cloned key) is refused and creates no session."""
    authenticator = await registered(client, settings)
    assert (await login(client, settings, authenticator)).status_code == 200
    assert (await login(client, settings, authenticator)).status_code == 200
    with no_new_login_session(database_url):
        credential = next(iter(authenticator.credentials.values()))
        credential.sign_count = 0
        response = await login(client, settings, authenticator)
        assert response.status_code == 401


async def test_wrong_origin_is_refused(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A passkey answer made for another origin creates nothing."""
    token = await invite_token(settings)
    options = await client.post("/auth/register/options", json={"token": token})
    answer = SoftAuthenticator().create(options.json(), origin="https://evil.example")
    response = await client.post(
        "/auth/register/verify", json={"token": token, "credential": answer}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "verification_failed"
    assert dbutil.count(database_url, "staff") == 0


async def test_wrong_rp_id_is_refused(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A passkey scoped to another relying party is refused at registration and at login."""
    token = await invite_token(settings)
    authenticator = SoftAuthenticator()
    response = await register(client, settings, token, authenticator, rp_id="evil.example")
    assert response.status_code == 401
    assert dbutil.count(database_url, "staff") == 0

    good = await registered(client, settings)
    credential_id = next(iter(good.credentials))
    with no_new_login_session(database_url):
        refused = await login(
            client, settings, good, rp_id="evil.example", credential_id=credential_id
        )
        assert refused.status_code == 401


async def test_replayed_answer_is_refused(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """The same signed answer sent twice signs in once: each challenge is used up."""
    authenticator = await registered(client, settings)
    options = await client.post("/auth/login/options", json={})
    answer = authenticator.get(options.json(), origin=settings.auth.origins[0])
    first = await client.post("/auth/login/verify", json={"credential": answer})
    assert first.status_code == 200
    with no_new_login_session(database_url):
        replay = await client.post("/auth/login/verify", json={"credential": answer})
        assert replay.status_code == 400
        assert replay.json()["error"] == "challenge_unknown"


async def test_user_handle_must_match_the_owner(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """An answer whose user handle is not the passkey owner's is refused."""
    authenticator = await registered(client, settings)
    with no_new_login_session(database_url):
        response = await login(client, settings, authenticator, user_handle=b"someone-else")
        assert response.status_code == 401
        assert response.json()["error"] == "user_handle_mismatch"


async def test_user_verification_is_required(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A passkey created without user verification (no PIN or biometrics) is refused."""
    token = await invite_token(settings)
    response = await register(client, settings, token, SoftAuthenticator(user_verification=False))
    assert response.status_code == 401
    assert dbutil.count(database_url, "staff") == 0


async def test_deactivated_staff_cannot_sign_in(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Deactivation ends a person's sessions at once and their passkey stops working."""
    authenticator = await registered(client, settings)
    staff_id = int(dbutil.fetch(database_url, "SELECT id FROM staff")[0][0])
    assert 'data-testid="me"' in (await client.get("/")).text
    manager = await auth_service.create_invite(
        auth=settings.auth, role="overall_manager", display_name="Manager"
    )
    manager_client_auth = SoftAuthenticator()
    await register(client, settings, manager.token, manager_client_auth)
    response = await client.post(f"/staff/{staff_id}/deactivate")
    assert response.status_code == 303, response.text
    assert dbutil.count(database_url, "login_session") == 1  # only the manager's is left
    refused = await login(client, settings, authenticator)
    assert refused.status_code == 403
    assert refused.json()["error"] == "staff_inactive"


async def test_expired_unknown_and_used_invites_say_so(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Invite pages and the API name the problem: expired, unknown, already used."""
    token = await invite_token(settings)
    dbutil.execute(
        database_url,
        "UPDATE invite SET expires_at = '2020-01-01 00:00:00+00:00'",
    )
    page = await client.get(f"/invite/{token}", headers={"Accept-Language": "en"})
    assert page.status_code == 400
    assert "expired" in page.text
    api = await client.post("/auth/register/options", json={"token": token})
    assert api.json()["error"] == "invite_expired"
    unknown = await client.get("/invite/nope", headers={"Accept-Language": "ja"})
    assert "この招待リンクは無効です" in unknown.text


async def test_logout_ends_the_session(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """After logout the old cookie no longer signs anyone in."""
    await registered(client, settings)
    cookie = client.cookies[SESSION_COOKIE]
    response = await client.post("/logout", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert dbutil.count(database_url, "login_session") == 0
    client.cookies.set(SESSION_COOKIE, cookie)
    assert (await client.get("/staff", follow_redirects=False)).status_code in (303, 401)


async def test_idle_and_absolute_timeouts(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A session idle past the limit, or older than the absolute limit, is over."""
    await registered(client, settings)
    assert 'data-testid="me"' in (await client.get("/")).text
    idle = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=settings.auth.idle_minutes + 1)
    dbutil.execute(database_url, f"UPDATE login_session SET last_seen_at = '{idle.isoformat(' ')}'")
    assert 'data-testid="me"' not in (await client.get("/")).text
    assert dbutil.count(database_url, "login_session") == 0

    await registered(client, settings)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    dbutil.execute(database_url, f"UPDATE login_session SET expires_at = '{past.isoformat(' ')}'")
    assert 'data-testid="me"' not in (await client.get("/")).text
