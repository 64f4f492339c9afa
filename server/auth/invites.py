"""Invite links: made by a manager's op (or the CLI's bootstrap), checked and used by the
passkey ceremony, listed while pending, and revoked. Only a token's SHA-256 is stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from server import db
from server.audit import service as audit
from server.auth import ops
from server.auth.policy import ROLES, Permission, can_assign_role
from server.auth.schemas import AuthError, InviteCreated, InviteOut, InviteState
from server.auth.tables import Invite
from server.auth.tokens import digest, new_token
from server.common.errors import OpRejected
from server.common.mynumber import MESSAGE_EN as MY_NUMBER_MESSAGE
from server.common.mynumber import contains_my_number
from server.common.text import CONTROL_MESSAGE, has_control
from server.messages import N_
from server.ops.context import Applied, ApplyContext
from server.ops.registry import Kind
from server.settings import AuthSettings
from server.staff.tables import Staff

MAX_NAME = 100
UNKNOWN = N_("This invite link is not valid.")
REVOKED = N_("This invite link was revoked. Ask for a new one.")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _checked(display_name: str, role: str, staff_id: int | None) -> tuple[str, str]:
    """The invite's role and tidied name (a re-invite's are the person's own).

    Raises:
        AuthError: Bad name or role, or an unknown or inactive person.
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
    return role, display_name


async def _insert(payload: ops.CreateInvite, role: str, name: str, actor_id: int | None) -> int:
    rows = await Invite.insert(
        Invite(
            token_hash=payload.token_hash,
            staff=payload.staff_id,
            display_name=name,
            role=role,
            created_by=actor_id,
            expires_at=payload.expires_at,
        )
    ).returning(Invite._meta.primary_key)
    return int(rows[0]["id"])


def new_invite(
    auth: AuthSettings,
    *,
    role: str = "operator",
    display_name: str = "",
    staff_id: int | None = None,
    hours: int | None = None,
) -> tuple[ops.InviteCreate, str]:
    """An ``invite.create`` op with a fresh token, and the token (shown once, never stored)."""
    token = new_token()
    payload = ops.CreateInvite(
        token_hash=digest(token),
        display_name=display_name,
        role=role,
        staff_id=staff_id,
        expires_at=_now() + dt.timedelta(hours=hours or auth.invite_hours),
    )
    return ops.InviteCreate(payload=payload), token


async def create_invite(
    *,
    auth: AuthSettings,
    role: str,
    display_name: str = "",
    staff_id: int | None = None,
    hours: int | None = None,
) -> InviteCreated:
    """The CLI's bootstrap invite: nobody signed in acts, so any role may be invited.

    Managers invite through the ``invite.create`` op (:func:`apply_create`) instead.

    Raises:
        AuthError: Bad name or role, or an unknown or inactive person.
    """
    op, token = new_invite(
        auth, role=role, display_name=display_name, staff_id=staff_id, hours=hours
    )
    role, name = await _checked(display_name, role, staff_id)
    async with db.writing():
        invite_id = await _insert(op.payload, role, name, None)
        await audit.record(
            "invite.create",
            target=f"invite:{invite_id}",
            detail={"role": role, "reinvite": staff_id is not None},
        )
    return InviteCreated(invite_id=invite_id, token=token, expires_at=op.payload.expires_at)


# The input each refusal of :func:`_checked` is about.
FIELDS = {
    "control_chars": "display_name",
    "my_number": "display_name",
    "name_invalid": "display_name",
    "role_unknown": "role",
    "staff_unknown": "staff_id",
}


async def apply_create(payload: ops.CreateInvite, context: ApplyContext) -> Applied:
    """Apply ``invite.create``: managers invite at or below their own rank."""
    try:
        role, name = await _checked(payload.display_name, payload.role, payload.staff_id)
    except AuthError as error:
        raise OpRejected(error.code, error.message, field=FIELDS.get(error.code)) from None
    if not can_assign_role(context.actor.role, role):
        raise OpRejected(
            "role_above", N_("You cannot invite someone above your own role."), field="role"
        )
    invite_id = await _insert(payload, role, name, context.actor.staff_id)
    return Applied(target=f"invite:{invite_id}", entity_id=invite_id)


async def apply_revoke(payload: ops.RevokeInvite, context: ApplyContext) -> Applied:
    """Apply ``invite.revoke``: only a pending invite, at or below the actor's rank."""
    invite = await get_invite(payload.invite_id)
    if invite is None:
        raise OpRejected("invite_unknown", UNKNOWN, field="invite_id")
    if not can_assign_role(context.actor.role, invite.role):
        raise OpRejected("role_above", N_("You cannot change someone above your own role."))
    if invite.state != "pending":
        raise OpRejected(
            "invite_not_pending",
            N_("This invite link is no longer pending: it was used, revoked or has expired."),
            field="invite_id",
        )
    await Invite.update({Invite.revoked_at: context.now}).where(
        (Invite._meta.primary_key == invite.id) & Invite.revoked_at.is_null()
    )
    return Applied(target=f"invite:{invite.id}", entity_id=invite.id)


async def revoke_pending_of(staff_id: int, now: dt.datetime) -> None:
    """Revoke a person's pending new-passkey links (inside the caller's transaction): a
    deactivated person must not add a passkey with a link made before."""
    await Invite.update({Invite.revoked_at: now}).where(
        (Invite.staff == staff_id) & Invite.used_at.is_null() & Invite.revoked_at.is_null()
    )


def _state(row: dict[str, Any], now: dt.datetime) -> str:
    if row["used_at"] is not None:
        return "used"
    if row["revoked_at"] is not None:
        return "revoked"
    return "expired" if row["expires_at"] <= now else "pending"


async def _invites(where: Any) -> list[InviteOut]:
    rows = await Invite.select().where(where).order_by(Invite.expires_at)
    makers = {int(r["created_by"]) for r in rows if r["created_by"] is not None}
    names = {}
    if makers:
        people = await Staff.select(Staff._meta.primary_key, Staff.display_name).where(
            Staff._meta.primary_key.is_in(sorted(makers))
        )
        names = {int(p["id"]): str(p["display_name"]) for p in people}
    now = _now()
    return [
        InviteOut(
            id=int(r["id"]),
            display_name=str(r["display_name"]),
            role=str(r["role"]),
            staff_id=None if r["staff"] is None else int(r["staff"]),
            created_by_name=names.get(int(r["created_by"] or 0), ""),
            created_at=r["created_at"],
            expires_at=r["expires_at"],
            state=_state(r, now),
        )
        for r in rows
    ]


async def list_pending() -> list[InviteOut]:
    """Invites that still open a link (not used, revoked or expired), soonest to expire first."""
    return await _invites(
        Invite.used_at.is_null() & Invite.revoked_at.is_null() & (Invite.expires_at > _now())
    )


async def get_invite(invite_id: int) -> InviteOut | None:
    """One invite, or None."""
    found = await _invites(Invite._meta.primary_key == invite_id)
    return found[0] if found else None


async def is_token_of(invite_id: int, token: str) -> bool:
    """Whether ``token`` is the one of invite ``invite_id`` (by its stored digest)."""
    if not token or len(token) > 200:
        return False
    return bool(
        await Invite.exists().where(
            (Invite._meta.primary_key == invite_id) & (Invite.token_hash == digest(token))
        )
    )


async def check_invite(token: str) -> InviteState:
    """What an invite token allows, or why it does not.

    Raises:
        AuthError: Unknown, revoked, used or expired.
    """
    if not token or len(token) > 200:
        raise AuthError("invite_unknown", UNKNOWN)
    row = await Invite.select().where(Invite.token_hash == digest(token)).first()
    if row is None:
        raise AuthError("invite_unknown", UNKNOWN)
    if row["revoked_at"] is not None:
        raise AuthError("invite_revoked", REVOKED, 410)
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
    """Mark an invite used (inside the caller's transaction); False if someone was first or
    it was revoked meanwhile."""
    used = (
        await Invite.update({Invite.used_at: _now()})
        .where(
            (Invite._meta.primary_key == invite_id)
            & Invite.used_at.is_null()
            & Invite.revoked_at.is_null()
        )
        .returning(Invite._meta.primary_key)
    )
    return bool(used)


STAFF = Permission.MANAGE_STAFF
KINDS = (
    Kind(ops.InviteCreate, STAFF, lambda op, c: apply_create(op.payload, c), synced=False),
    Kind(ops.InviteRevoke, STAFF, lambda op, c: apply_revoke(op.payload, c), synced=False),
)
"""The invite ops and the rules that apply them (installed by :mod:`server.domains`)."""
