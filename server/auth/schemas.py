"""Shapes crossing the auth service boundary, and the JSON bodies of the passkey API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

# Browser-made binary values, base64url (padding tolerated). A passkey's id can be up to
# 1023 bytes; attestation objects carry certificate chains.
B64_PATTERN = "^[A-Za-z0-9_-]*={0,2}$"
B64Url = Annotated[str, msgspec.Meta(pattern=B64_PATTERN, max_length=1400)]
B64Blob = Annotated[str, msgspec.Meta(pattern=B64_PATTERN, max_length=48 * 1024)]
# A transport name ("internal", "hybrid", "smart-card", ...): stored, so letters only.
Transport = Annotated[str, msgspec.Meta(pattern="^[a-z-]{1,20}$")]
# An invite link's token as server.auth.tokens.new_token makes it (32 bytes, base64url).
InviteToken = Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_-]{43}$")]


class AuthError(Exception):
    """A sign-in step refused, with a stable code and an English message id for the UI.

    Attributes:
        code: Machine-readable reason (also audited).
        message: English message id, translated by the route.
        status: HTTP status the route should answer with.
    """

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.status = status


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    """The signed-in person behind a request."""

    staff_id: int
    display_name: str
    role: str
    login_session_hash: str


class InviteCreated(msgspec.Struct, frozen=True, kw_only=True):
    """A new invite: the raw token is shown once and never stored."""

    invite_id: int
    token: str
    expires_at: dt.datetime


class InviteState(msgspec.Struct, frozen=True, kw_only=True):
    """What an invite link may be used for."""

    invite_id: int
    display_name: str
    role: str
    staff_id: int | None


class InviteOut(msgspec.Struct, frozen=True, kw_only=True):
    """An invite as the roster shows it: never its token.

    ``state`` is ``pending``, ``used``, ``revoked`` or ``expired``; ``staff_id`` is set for a
    new passkey link of someone already on the roster.
    """

    id: int
    display_name: str
    role: str
    staff_id: int | None
    created_by_name: str
    created_at: dt.datetime
    expires_at: dt.datetime
    state: str


class CredentialResponse(msgspec.Struct, frozen=True, omit_defaults=True):
    """The authenticator's answer: attestation (registration) or assertion (sign-in) parts.

    Fields a browser adds beyond these are dropped: nothing else is read or stored. The
    names are WebAuthn's JSON names.
    """

    clientDataJSON: B64Blob
    attestationObject: B64Blob | None = None
    transports: Annotated[list[Transport], msgspec.Meta(max_length=10)] = []
    authenticatorData: B64Blob | None = None
    signature: B64Blob | None = None
    userHandle: B64Url | None = None


class Credential(msgspec.Struct, frozen=True, omit_defaults=True):
    """A ``PublicKeyCredential`` as ``static/js/passkey.js`` sends it (every value shaped)."""

    id: B64Url
    rawId: B64Url
    response: CredentialResponse
    type: Literal["public-key"] = "public-key"
    authenticatorAttachment: Literal["platform", "cross-platform"] | None = None

    def as_json(self) -> dict[str, object]:
        """The credential as the ``webauthn`` package reads it."""
        json: dict[str, object] = msgspec.to_builtins(self)
        return json


class RegisterOptionsIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Body of ``POST /auth/register/options``."""

    token: InviteToken


class RegisterVerifyIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Body of ``POST /auth/register/verify``."""

    token: InviteToken
    credential: Credential


class LoginVerifyIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Body of ``POST /auth/login/verify``."""

    credential: Credential


class SignedIn(msgspec.Struct, frozen=True, kw_only=True):
    """Result of a successful registration or login: the new login session's raw id, and
    the person's role (where they land)."""

    staff_id: int
    session_id: str
    role: str
