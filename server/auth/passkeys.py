"""Passkey ceremonies: registration from an invite, discoverable login.

py_webauthn raises ``WebAuthnException`` subclasses, but also ``KeyError``, ``ValueError``,
``TypeError`` or ``binascii.Error`` on malformed input: every failure of parsing or checking
a browser's answer becomes an ``AuthError`` (a 400), never a 500, and changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from server import db
from server.audit import service as audit
from server.auth import service
from server.auth.schemas import AuthError, SignedIn
from server.auth.tables import WebauthnChallenge, WebauthnCredential
from server.messages import N_
from server.settings import AuthSettings
from server.staff import service as staff_service
from server.staff.tables import Staff

RP_NAME = "Madoguchi"
V = TypeVar("V")
MULTI_DEVICE = CredentialDeviceType.MULTI_DEVICE
CHALLENGE_TTL = dt.timedelta(minutes=5)
TIMEOUT_MS = 120_000
EXPIRED_ATTEMPT = N_("This sign-in attempt expired. Please try again.")


# Refusals are made fresh for each raise: an exception instance raised again adds to the
# traceback it holds, and ``raise … from`` would chain it to another request's error.
def _bad_answer() -> AuthError:
    return AuthError("bad_payload", N_("The passkey answer could not be read. Please try again."))


def _refused() -> AuthError:
    return AuthError("verification_failed", N_("The passkey could not be verified."), 401)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _b64(data: bytes) -> str:
    return bytes_to_base64url(data)


def _unb64(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def _verify(
    check: Callable[..., V],
    credential: dict[str, Any],
    challenge: str,
    auth: AuthSettings,
    **more: Any,
) -> V:
    """``check`` (a registration or a sign-in) of the browser's answer to ``challenge``, for
    our relying party and origins, with user verification; any failure is refused alike."""
    try:
        return check(
            credential=credential,
            expected_challenge=_unb64(challenge),
            expected_rp_id=auth.rp_id,
            expected_origin=list(auth.origins),
            require_user_verification=True,
            **more,
        )
    except Exception as error:  # any parse or check failure of browser input
        raise _refused() from error


async def _store_challenge(
    purpose: str, *, invite_id: int | None = None, user_handle: str = ""
) -> bytes:
    challenge = secrets.token_bytes(32)
    async with db.writing():
        # Old challenges are cleared as new ones are made: the table stays small.
        await WebauthnChallenge.delete().where(WebauthnChallenge.expires_at < _now())
        await WebauthnChallenge.insert(
            WebauthnChallenge(
                challenge=_b64(challenge),
                purpose=purpose,
                invite=invite_id,
                user_handle=user_handle,
                expires_at=_now() + CHALLENGE_TTL,
            )
        )
    return challenge


def _client_challenge(credential: dict[str, Any]) -> str:
    """The challenge the browser answered, read from clientDataJSON (base64url text)."""
    try:
        client_data = json.loads(_unb64(credential["response"]["clientDataJSON"]))
        challenge = client_data["challenge"]
        if not isinstance(challenge, str) or not 0 < len(challenge) <= 120:
            raise _bad_answer()
        return _b64(_unb64(challenge))
    except (
        KeyError,
        TypeError,
        ValueError,  # also UnicodeError and binascii.Error
        RecursionError,
    ) as error:
        raise _bad_answer() from error


async def _consume_challenge(challenge: str, purpose: str) -> dict[str, Any]:
    """Delete and return the stored challenge; one answer per challenge, so no replay."""
    rows = (
        await WebauthnChallenge.delete()
        .where((WebauthnChallenge.challenge == challenge) & (WebauthnChallenge.purpose == purpose))
        .returning(*WebauthnChallenge.all_columns())
    )
    if not rows or rows[0]["expires_at"] <= _now():
        raise AuthError("challenge_unknown", EXPIRED_ATTEMPT)
    return dict(rows[0])


async def registration_options(token: str, auth: AuthSettings) -> dict[str, Any]:
    """Options for ``navigator.credentials.create`` for the invite behind ``token``.

    Raises:
        AuthError: The invite is unknown, used or expired.
    """
    invite = await service.check_invite(token)
    exclude: list[PublicKeyCredentialDescriptor] = []
    if invite.staff_id is not None:
        person = (
            await Staff.select(Staff.user_handle)
            .where(Staff._meta.primary_key == invite.staff_id)
            .first()
        )
        user_handle = str(person["user_handle"]) if person else _b64(secrets.token_bytes(32))
        existing = await WebauthnCredential.select(WebauthnCredential.credential_id).where(
            WebauthnCredential.staff == invite.staff_id
        )
        exclude = [PublicKeyCredentialDescriptor(id=_unb64(r["credential_id"])) for r in existing]
    else:
        user_handle = _b64(secrets.token_bytes(32))
    challenge = await _store_challenge(
        "register", invite_id=invite.invite_id, user_handle=user_handle
    )
    options = generate_registration_options(
        rp_id=auth.rp_id,
        rp_name=RP_NAME,
        user_id=_unb64(user_handle),
        user_name=invite.display_name,
        user_display_name=invite.display_name,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=exclude,
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


async def register(token: str, credential: dict[str, Any], auth: AuthSettings) -> SignedIn:
    """Check the browser's new passkey, store it, use the invite and sign the person in.

    Raises:
        AuthError: Anything wrong with the invite, the challenge or the passkey.
    """
    invite = await service.check_invite(token)
    challenge = _client_challenge(credential)
    async with db.writing():
        stored = await _consume_challenge(challenge, "register")
        if stored["invite"] != invite.invite_id:
            raise AuthError(
                "challenge_unknown", N_("This sign-in attempt expired. Please try again.")
            )
        verified = _verify(verify_registration_response, credential, challenge, auth)
        if not await service.use_invite(invite.invite_id):
            raise AuthError("invite_used", N_("This invite link has already been used."))
        staff_id = invite.staff_id
        if staff_id is None:
            staff_id = await staff_service.create_staff(
                display_name=invite.display_name,
                role=invite.role,
                user_handle=str(stored["user_handle"]),
            )
        credential_id = _b64(verified.credential_id)
        if await WebauthnCredential.exists().where(
            WebauthnCredential.credential_id == credential_id
        ):
            raise AuthError("credential_taken", N_("This passkey is already registered."), 409)
        transports = credential.get("response", {}).get("transports")
        if not isinstance(transports, list):
            transports = []
        await WebauthnCredential.insert(
            WebauthnCredential(
                staff=staff_id,
                credential_id=credential_id,
                public_key=_b64(verified.credential_public_key),
                sign_count=verified.sign_count,
                transports=",".join(str(t) for t in transports if isinstance(t, str))[:200],
                aaguid=verified.aaguid,
                backup_eligible=verified.credential_device_type
                == CredentialDeviceType.MULTI_DEVICE,
                backup_state=bool(verified.credential_backed_up),
            )
        )
        session_id = await service.create_login_session(staff_id, auth)
        await audit.record(
            "auth.register",
            actor_id=staff_id,
            target=f"staff:{staff_id}",
            detail={"invite": invite.invite_id},
        )
    return SignedIn(staff_id=staff_id, session_id=session_id, role=invite.role)


async def login_options(auth: AuthSettings) -> dict[str, Any]:
    """Options for a discoverable-credential ``navigator.credentials.get`` (no name typed)."""
    challenge = await _store_challenge("login")
    options = generate_authentication_options(
        rp_id=auth.rp_id,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


async def login(credential: dict[str, Any], auth: AuthSettings) -> SignedIn:
    """Check a passkey assertion and start a login session.

    Raises:
        AuthError: Unknown passkey, wrong owner, deactivated person or a failed check.
    """
    challenge = _client_challenge(credential)
    raw_id = credential.get("rawId") or credential.get("id")
    if not isinstance(raw_id, str) or len(raw_id) > 1400:
        raise _bad_answer()
    try:
        credential_id = _b64(_unb64(raw_id))
    except (ValueError, binascii.Error) as error:
        raise _bad_answer() from error
    async with db.writing():
        await _consume_challenge(challenge, "login")
        row = (
            await WebauthnCredential.select(
                WebauthnCredential._meta.primary_key,
                WebauthnCredential.public_key,
                WebauthnCredential.sign_count,
                WebauthnCredential.staff.id.as_alias("staff_id"),
                WebauthnCredential.staff.active.as_alias("active"),
                WebauthnCredential.staff.role.as_alias("role"),
                WebauthnCredential.staff.user_handle.as_alias("user_handle"),
            )
            .where(WebauthnCredential.credential_id == credential_id)
            .first()
        )
        if row is None:
            raise AuthError("credential_unknown", N_("This passkey is not registered here."), 401)
        handle = credential.get("response", {}).get("userHandle")
        if not isinstance(handle, str) or handle.rstrip("=") != row["user_handle"]:
            raise AuthError("user_handle_mismatch", N_("The passkey could not be verified."), 401)
        if not row["active"]:
            raise AuthError("staff_inactive", N_("This account has been deactivated."), 403)
        verified = _verify(
            verify_authentication_response,
            credential,
            challenge,
            auth,
            credential_public_key=_unb64(row["public_key"]),
            credential_current_sign_count=int(row["sign_count"]),
        )
        await WebauthnCredential.update(
            {
                WebauthnCredential.sign_count: verified.new_sign_count,
                WebauthnCredential.backup_state: bool(verified.credential_backed_up),
                WebauthnCredential.last_used_at: _now(),
            }
        ).where(WebauthnCredential._meta.primary_key == row["id"])
        staff_id = int(row["staff_id"])
        session_id = await service.create_login_session(staff_id, auth)
        await audit.record("auth.login", actor_id=staff_id, target=f"staff:{staff_id}")
    return SignedIn(staff_id=staff_id, session_id=session_id, role=str(row["role"]))


async def record_failure(error: AuthError, step: str) -> None:
    """Audit a refused sign-in step (a reason code only; nothing the browser sent)."""
    async with db.writing():
        await audit.record("auth.failed", detail={"step": step, "reason": error.code})


__all__ = [
    "login",
    "login_options",
    "record_failure",
    "register",
    "registration_options",
]
