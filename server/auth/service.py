"""Login sessions, invites (rules in ``invites.py``) and sign-in rate limits. Plain async
functions over the database."""

from __future__ import annotations

import datetime as dt

from server import db
from server.audit import service as audit
from server.auth import store
from server.auth.invites import KINDS as KINDS
from server.auth.invites import check_invite as check_invite
from server.auth.invites import create_invite as create_invite
from server.auth.invites import get_invite as get_invite
from server.auth.invites import is_token_of as is_token_of
from server.auth.invites import list_pending as list_pending
from server.auth.invites import new_invite as new_invite
from server.auth.invites import revoke_pending_of as revoke_pending_of
from server.auth.invites import use_invite as use_invite
from server.auth.schemas import Identity
from server.auth.tables import LoginSession
from server.auth.tokens import digest, new_token
from server.settings import AuthSettings

# A session's last_seen_at is written at most this often: not one write per page view.
TOUCH_EVERY = dt.timedelta(seconds=60)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def create_login_session(staff_id: int, auth: AuthSettings) -> str:
    """Start a login session (inside the caller's transaction); returns the cookie's raw id."""
    raw = new_token()
    await LoginSession.insert(
        LoginSession(
            id_hash=digest(raw),
            staff=staff_id,
            expires_at=_now() + dt.timedelta(hours=auth.absolute_hours),
        )
    )
    return raw


async def resolve_login_session(raw: str | None, auth: AuthSettings) -> Identity | None:
    """The active person behind a session cookie, or None when it is unknown or expired.

    Args:
        raw: The cookie value.
        auth: Timeouts.

    Returns:
        Who is signed in.
    """
    if not raw or len(raw) > 200:
        return None
    id_hash = digest(raw)
    row = await store.login_session(id_hash)
    if row is None or not row["active"]:
        return None
    now = _now()
    last_seen: dt.datetime = row["last_seen_at"]
    if now >= row["expires_at"] or now - last_seen >= dt.timedelta(minutes=auth.idle_minutes):
        await LoginSession.delete().where(LoginSession.id_hash == id_hash)
        return None
    if now - last_seen >= TOUCH_EVERY:
        await LoginSession.update({LoginSession.last_seen_at: now}).where(
            LoginSession.id_hash == id_hash
        )
    return Identity(
        staff_id=int(row["staff_id"]),
        display_name=str(row["display_name"]),
        role=str(row["role"]),
        login_session_hash=id_hash,
    )


async def end_login_session(identity: Identity) -> None:
    """Log out: the session row is deleted, so the cookie is worthless everywhere."""
    async with db.writing():
        await LoginSession.delete().where(LoginSession.id_hash == identity.login_session_hash)
        await audit.record("auth.logout", actor_id=identity.staff_id)


async def end_all_sessions(staff_id: int) -> int:
    """End every login session of a person (inside the caller's transaction).

    Returns:
        How many ended.
    """
    ended = (
        await LoginSession.delete()
        .where(LoginSession.staff == staff_id)
        .returning(LoginSession._meta.primary_key)
    )
    return len(ended)


async def hit_rate_limit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt for ``key``; True while within ``limit`` per window.

    One atomic upsert, so every worker and machine shares the count.
    """
    now = _now()
    window_start = now - dt.timedelta(seconds=window_seconds)
    async with db.writing():
        attempts = await store.count_attempt(key, now, window_start)
    return attempts <= limit
