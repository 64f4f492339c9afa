"""The audit log: every sign-in step lands in it, and tampering is caught by `audit verify`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from server.auth import service as auth_service
from server.settings import Settings
from tests import dbutil
from tests.support.harness import run_cli
from tests.support.passkeys import invite_token, login, register
from tests.support.soft_authenticator import SoftAuthenticator


def events(url: str) -> list[tuple[object, ...]]:
    """(seq, action, target, detail) of every entry, in order."""
    return dbutil.fetch(url, "SELECT seq, action, target, detail FROM audit_event ORDER BY seq")


def reset_audit(database_url: str) -> None:
    """An empty chain."""
    dbutil.execute(database_url, "DELETE FROM audit_event")
    dbutil.execute(database_url, f"UPDATE audit_head SET seq = 0, hash = '{'0' * 64}'")


@pytest.fixture
def fresh_audit(database_url: str) -> Iterator[None]:
    """Start from an empty chain, and leave one (a tampered chain must not outlive its test)."""
    reset_audit(database_url)
    yield
    reset_audit(database_url)


async def test_sign_in_steps_are_audited_without_personal_data(
    client: httpx.AsyncClient, settings: Settings, database_url: str, fresh_audit: None
) -> None:
    """Invite, registration, failed and good logins and logout each add one entry, no names."""
    authenticator = SoftAuthenticator()
    await register(client, settings, await invite_token(settings), authenticator)
    await login(client, settings, authenticator, user_handle=b"not-the-owner")
    await login(client, settings, authenticator)
    await client.post("/logout")
    actions = [row[1] for row in events(database_url)]
    assert actions == [
        "invite.create",
        "auth.register",
        "auth.failed",
        "auth.login",
        "auth.logout",
    ]
    name = dbutil.fetch(database_url, "SELECT display_name FROM staff")[0][0]
    text = repr(dbutil.fetch(database_url, "SELECT * FROM audit_event"))
    assert str(name) not in text
    assert "user_handle_mismatch" in text
    assert run_cli("audit", "verify").returncode == 0


async def make_chain(settings: Settings, entries: int = 5) -> None:
    """A few real entries through the service."""
    for _ in range(entries):
        await auth_service.create_invite(auth=settings.auth, role="operator", display_name="x")


@pytest.mark.parametrize(
    ("tamper", "broken"),
    [
        ("UPDATE audit_event SET target = 'invite:999' WHERE seq = 3", 3),
        ('UPDATE audit_event SET detail = \'{"role":"overall_manager"}\' WHERE seq = 2', 2),
        ("UPDATE audit_event SET action = 'auth.login' WHERE seq = 4", 4),
        ("DELETE FROM audit_event WHERE seq = 3", 4),
        ("DELETE FROM audit_event WHERE seq = 5", 5),
    ],
    ids=["changed-target", "changed-detail", "changed-action", "deleted-row", "deleted-last"],
)
async def test_tampering_is_detected(
    client: httpx.AsyncClient,
    settings: Settings,
    database_url: str,
    fresh_audit: None,
    tamper: str,
    broken: int,
) -> None:
    """`madoguchi audit verify` exits non-zero and names the first entry that does not hold."""
    await make_chain(settings)
    assert run_cli("audit", "verify").returncode == 0
    dbutil.execute(database_url, tamper)
    result = run_cli("audit", "verify")
    assert result.returncode == 1
    assert f"broken at entry {broken} " in result.stderr


async def test_reordered_rows_are_detected(
    client: httpx.AsyncClient, settings: Settings, database_url: str, fresh_audit: None
) -> None:
    """Swapping two entries' places (their sequence numbers) breaks the chain there."""
    await make_chain(settings)
    dbutil.execute(database_url, "UPDATE audit_event SET seq = -2 WHERE seq = 2")
    dbutil.execute(database_url, "UPDATE audit_event SET seq = 2 WHERE seq = 3")
    dbutil.execute(database_url, "UPDATE audit_event SET seq = 3 WHERE seq = -2")
    result = run_cli("audit", "verify")
    assert result.returncode == 1
    assert "broken at entry 2 " in result.stderr


async def test_rehashed_row_breaks_the_next_link(
    client: httpx.AsyncClient, settings: Settings, database_url: str, fresh_audit: None
) -> None:
    """Rewriting an entry and its own hash still breaks the link from the entry after it."""
    from server.audit.service import entry_hash

    await make_chain(settings)
    row = dbutil.fetch(
        database_url,
        "SELECT prev_hash, occurred_at, actor_id, device_id, detail FROM audit_event WHERE seq = 2",
    )[0]
    occurred = row[1]
    if isinstance(occurred, str):
        import datetime as dt

        occurred = dt.datetime.fromisoformat(occurred)
    forged = entry_hash(
        prev_hash=str(row[0]),
        seq=2,
        occurred_at=occurred,
        actor_id=None,
        device_id=None,
        action="invite.create",
        target="invite:12345",
        detail=str(row[4]),
    )
    dbutil.execute(
        database_url,
        f"UPDATE audit_event SET target = 'invite:12345', hash = '{forged}' WHERE seq = 2",
    )
    result = run_cli("audit", "verify")
    assert result.returncode == 1
    assert "broken at entry 3 " in result.stderr


async def test_one_append_of_several_entries_keeps_the_chain(
    client: httpx.AsyncClient, database_url: str, fresh_audit: None
) -> None:
    """Several entries appended at once (PostgreSQL chains them in SQL) verify, in order."""
    import datetime as dt

    from server import db
    from server.audit import service as audit

    at = dt.datetime(2026, 11, 26, 9, 30, 15, 123456, tzinfo=dt.UTC)
    entries = [
        audit.Entry(
            action="headcount.add",
            actor_id=7,
            device_id="d-1",
            target="work_session:1",
            detail={"count": 2, "day": "2026-11-26", "op_ids": ["a", "b"]},
            at=at,
        ),
        audit.Entry(
            action="headcount.add",
            actor_id=None,
            device_id=None,
            target="",
            detail={"quote": 'say "hi"\\ ok', "n": [1, 2]},
        ),
        audit.Entry(action="incident.create", actor_id=7, device_id="d-1", target="incident:3"),
    ]
    async with db.writing():
        first = await audit.record_many(entries[:1])
        rest = await audit.record_many(entries[1:])
    assert first + rest == [1, 2, 3]
    rows = events(database_url)
    assert [(row[0], row[1], row[2]) for row in rows] == [
        (1, "headcount.add", "work_session:1"),
        (2, "headcount.add", ""),
        (3, "incident.create", "incident:3"),
    ]
    assert run_cli("audit", "verify").returncode == 0
