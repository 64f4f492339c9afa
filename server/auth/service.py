"""Login sessions, invites and sign-in rate limits. Plain async functions over the database."""

from __future__ import annotations

import datetime as dt

from server import db
from server.audit import service as audit
from server.auth import store
from server.auth.policy import ROLES, can_assign_role
from server.auth.schemas import AuthError, Identity, InviteCreated, InviteState
from server.auth.tables import Invite, LoginSession
from server.auth.tokens import digest, new_token
from server.common.mynumber import MESSAGE_EN as MY_NUMBER_MESSAGE
from server.common.mynumber import contains_my_number
from server.common.text import CONTROL_MESSAGE, has_control
from server.messages import N_
from server.settings import AuthSettings
from server.staff.tables import Staff

# A session's last_seen_at is written at most this often: not one write per page view.
TOUCH_EVERY = dt.timedelta(seconds=60)
MAX_NAME = 100


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


async def create_invite(
    *,
    auth: AuthSettings,
    role: str,
    display_name: str = "",
    staff_id: int | None = None,
    actor_id: int | None = None,
    actor_role: str | None = None,
    hours: int | None = None,
) -> InviteCreated:
    """Create a one-time invite link for a new person, or a re-invite for an existing one.

    ``actor_role`` None means the CLI bootstrap, which may invite any role.

    Raises:
        AuthError: Bad name or role, unknown or inactive person, or a role above the actor's.
    """
    # Refused before the blanks are tidied: split() would silently drop some controls.
    if has_control(display_name):
        raise AuthError("control_chars", CONTROL_MESSAGE)
    display_name = " ".join(display_name.split())
    # A name is free text: the form and `madoguchi invite --name` both come through here.
    if contains_my_number(display_name):
        raise AuthError("my_number", MY_NUMBER_MESSAGE)
    if staff_id is not None:
        person = (
            await Staff.select(Staff.display_name, Staff.role, Staff.active)
            .where(Staff._meta.primary_key == staff_id)
            .first()
        )
        if person is None or not person["active"]:
            raise AuthError("staff_unknown", N_("No such active person."))
        role, display_name = str(person["role"]), str(person["display_name"])
    if role not in ROLES:
        raise AuthError("role_unknown", N_("Unknown role."))
    if not display_name or len(display_name) > MAX_NAME:
        raise AuthError("name_invalid", N_("Enter a name of 1 to 100 characters."))
    if actor_role is not None and not can_assign_role(actor_role, role):
        raise AuthError("role_above", N_("You cannot invite someone above your own role."), 403)
    token = new_token()
    expires_at = _now() + dt.timedelta(hours=hours or auth.invite_hours)
    async with db.writing():
        rows = await Invite.insert(
            Invite(
                token_hash=digest(token),
                staff=staff_id,
                display_name=display_name,
                role=role,
                created_by=actor_id,
                expires_at=expires_at,
            )
        ).returning(Invite._meta.primary_key)
        invite_id = int(rows[0]["id"])
        await audit.record(
            "invite.create",
            actor_id=actor_id,
            target=f"invite:{invite_id}",
            detail={"role": role, "reinvite": staff_id is not None},
        )
    return InviteCreated(invite_id=invite_id, token=token, expires_at=expires_at)


async def check_invite(token: str) -> InviteState:
    """What an invite token allows, or why it does not.

    Raises:
        AuthError: Unknown, used or expired.
    """
    if not token or len(token) > 200:
        raise AuthError("invite_unknown", N_("This invite link is not valid."))
    row = await Invite.select().where(Invite.token_hash == digest(token)).first()
    if row is None:
        raise AuthError("invite_unknown", N_("This invite link is not valid."))
    if row["used_at"] is not None:
        raise AuthError("invite_used", N_("This invite link has already been used."))
    if row["expires_at"] <= _now():
        raise AuthError("invite_expired", N_("This invite link has expired. Ask for a new one."))
    return InviteState(
        invite_id=int(row["id"]),
        display_name=str(row["display_name"]),
        role=str(row["role"]),
        staff_id=None if row["staff"] is None else int(row["staff"]),
    )


async def use_invite(invite_id: int) -> bool:
    """Mark an invite used (inside the caller's transaction); False if someone was first."""
    used = (
        await Invite.update({Invite.used_at: _now()})
        .where((Invite._meta.primary_key == invite_id) & Invite.used_at.is_null())
        .returning(Invite._meta.primary_key)
    )
    return bool(used)


async def hit_rate_limit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt for ``key``; True while within ``limit`` per window.

    One atomic upsert, so every worker and machine shares the count.
    """
    now = _now()
    window_start = now - dt.timedelta(seconds=window_seconds)
    async with db.writing():
        attempts = await store.count_attempt(key, now, window_start)
    return attempts <= limit
