"""Shapes crossing the auth service boundary, and the JSON bodies of the passkey API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec


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


class RegisterOptionsIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Body of ``POST /auth/register/options``."""

    token: str


class RegisterVerifyIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Body of ``POST /auth/register/verify``."""

    token: str
    credential: dict[str, Any]


class LoginVerifyIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Body of ``POST /auth/login/verify``."""

    credential: dict[str, Any]


class SignedIn(msgspec.Struct, frozen=True, kw_only=True):
    """Result of a successful registration or login: the new login session's raw id."""

    staff_id: int
    session_id: str
