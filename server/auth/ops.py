"""Invite ops: a manager makes or revokes an invite link (rules in ``invites.py``).

Only the server makes these (never a tablet), and an invite op carries the token's
SHA-256, never the token: the op and its audit entry hold nothing that opens the link.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import msgspec

from server.common.text import Code, FreeText, Id
from server.ops.envelope import Moment, OpBase, Payload

TokenHash = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
"""The SHA-256 hex digest of an invite token."""


class CreateInvite(Payload, frozen=True, kw_only=True):
    """``invite.create``: a one-time link for a new person, or (``staff_id``) a new passkey
    link for someone who lost theirs."""

    moments: ClassVar[tuple[str, ...]] = ("expires_at",)

    token_hash: TokenHash
    display_name: FreeText = ""
    role: Code = "operator"
    staff_id: Id | None = None
    expires_at: Moment


class InviteCreate(OpBase, frozen=True, tag="invite.create"):
    """Op: create an invite link."""

    payload: CreateInvite


class RevokeInvite(Payload, frozen=True, kw_only=True):
    """``invite.revoke``: a pending invite link stops working."""

    invite_id: Id


class InviteRevoke(OpBase, frozen=True, tag="invite.revoke"):
    """Op: revoke an invite link."""

    payload: RevokeInvite
