"""The software authenticator produces responses py_webauthn itself accepts or rejects."""

import json
from typing import Any

import pytest
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import PublicKeyCredentialDescriptor
from webauthn.registration.verify_registration_response import VerifiedRegistration

from tests.support.soft_authenticator import SoftAuthenticator, b64url_encode

RP_ID = "localhost"
ORIGIN = "http://localhost:8000"
CHALLENGE = b"registration-challenge-0123456789"
LOGIN_CHALLENGE = b"authentication-challenge-987654321"
USER_ID = b"user-handle-42"


def registration_options(challenge: bytes = CHALLENGE) -> dict[str, Any]:
    """The JSON a server would send for registration."""
    options = generate_registration_options(
        rp_id=RP_ID, rp_name="Madoguchi", user_name="tanaka", user_id=USER_ID, challenge=challenge
    )
    parsed: dict[str, Any] = json.loads(options_to_json(options))
    return parsed


def authentication_options(
    challenge: bytes = LOGIN_CHALLENGE, allow: list[bytes] | None = None
) -> dict[str, Any]:
    """The JSON a server would send for login."""
    options = generate_authentication_options(
        rp_id=RP_ID,
        challenge=challenge,
        allow_credentials=[PublicKeyCredentialDescriptor(id=cred) for cred in allow or []],
    )
    parsed: dict[str, Any] = json.loads(options_to_json(options))
    return parsed


def verify_registration(
    credential: dict[str, Any], *, require_user_verification: bool = False
) -> VerifiedRegistration:
    """Verify a registration against CHALLENGE from ORIGIN for RP_ID."""
    return verify_registration_response(
        credential=credential,
        expected_challenge=CHALLENGE,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        require_user_verification=require_user_verification,
    )


def register(authenticator: SoftAuthenticator) -> tuple[bytes, bytes]:
    """Register one credential and return its id and COSE public key."""
    verified = verify_registration(
        authenticator.create(registration_options(), origin=ORIGIN), require_user_verification=True
    )
    return verified.credential_id, verified.credential_public_key


def verify_login(response: dict[str, Any], public_key: bytes, current: int = 0) -> int:
    """Verify an assertion against LOGIN_CHALLENGE and return the new sign count."""
    verified = verify_authentication_response(
        credential=response,
        expected_challenge=LOGIN_CHALLENGE,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        credential_public_key=public_key,
        credential_current_sign_count=current,
        require_user_verification=True,
    )
    return verified.new_sign_count


def test_registration_verifies_with_matching_id_and_key() -> None:
    """A registration verifies and reports the stored credential id and public key."""
    authenticator = SoftAuthenticator()
    credential_id, public_key = register(authenticator)
    stored = authenticator.credentials[credential_id]
    assert len(credential_id) == 32
    assert public_key == stored.cose_public_key
    assert stored.rp_id == RP_ID
    assert stored.user_handle == USER_ID
    assert stored.sign_count == 0


def test_backup_eligible_registers_as_synced_passkey() -> None:
    """backup_eligible=True sets BE/BS: py_webauthn reports a backed-up multi-device key."""
    response = SoftAuthenticator(backup_eligible=True).create(registration_options(), origin=ORIGIN)
    verified = verify_registration(response)
    assert verified.credential_backed_up
    assert verified.credential_device_type == "multi_device"


def test_authentication_verifies_and_counts_up() -> None:
    """Discoverable logins verify against the registered key with sign counts 1 then 2."""
    authenticator = SoftAuthenticator()
    credential_id, public_key = register(authenticator)
    first = authenticator.get(authentication_options(), origin=ORIGIN)
    assert first["rawId"] == first["id"]
    assert verify_login(first, public_key, current=0) == 1
    second = authenticator.get(authentication_options(allow=[credential_id]), origin=ORIGIN)
    assert verify_login(second, public_key, current=1) == 2
    assert authenticator.credentials[credential_id].sign_count == 2


def test_zero_counter_step_is_accepted_while_both_counts_stay_zero() -> None:
    """With sign_count_step=0 the counter stays 0, which py_webauthn accepts from a 0 count."""
    authenticator = SoftAuthenticator()
    _, public_key = register(authenticator)
    authenticator.sign_count_step = 0
    response = authenticator.get(authentication_options(), origin=ORIGIN)
    assert verify_login(response, public_key, current=0) == 0


def test_user_handle_is_returned_and_can_be_overridden() -> None:
    """The assertion carries the registered user handle unless user_handle overrides it."""
    authenticator = SoftAuthenticator()
    register(authenticator)
    own = authenticator.get(authentication_options(), origin=ORIGIN)
    other = authenticator.get(authentication_options(), origin=ORIGIN, user_handle=b"someone-else")
    assert own["response"]["userHandle"] == "dXNlci1oYW5kbGUtNDI"
    assert other["response"]["userHandle"] == "c29tZW9uZS1lbHNl"


def test_wrong_origin_is_rejected() -> None:
    """Registration and login from another origin are refused."""
    authenticator = SoftAuthenticator()
    with pytest.raises(InvalidRegistrationResponse, match="origin"):
        verify_registration(
            authenticator.create(registration_options(), origin="https://evil.example")
        )
    _, public_key = register(authenticator)
    response = authenticator.get(authentication_options(), origin="https://evil.example")
    with pytest.raises(InvalidAuthenticationResponse, match="origin"):
        verify_login(response, public_key)


def test_wrong_rp_id_is_rejected() -> None:
    """An rpIdHash for another RP id is refused at registration and login."""
    authenticator = SoftAuthenticator()
    evil = authenticator.create(registration_options(), origin=ORIGIN, rp_id="evil.example")
    with pytest.raises(InvalidRegistrationResponse, match="RP ID hash"):
        verify_registration(evil)
    credential_id, public_key = register(authenticator)
    response = authenticator.get(
        authentication_options(), origin=ORIGIN, rp_id="evil.example", credential_id=credential_id
    )
    with pytest.raises(InvalidAuthenticationResponse, match="RP ID hash"):
        verify_login(response, public_key)


def test_tampered_signature_is_rejected() -> None:
    """A flipped signature byte fails login; a bogus attStmt sig fails "none" registration."""
    authenticator = SoftAuthenticator()
    with pytest.raises(InvalidRegistrationResponse, match="attestation statement"):
        verify_registration(
            authenticator.create(registration_options(), origin=ORIGIN, tamper_signature=True)
        )
    _, public_key = register(authenticator)
    response = authenticator.get(authentication_options(), origin=ORIGIN, tamper_signature=True)
    with pytest.raises(InvalidAuthenticationResponse, match="signature"):
        verify_login(response, public_key)


def test_wrong_challenge_is_rejected() -> None:
    """A response to a different challenge is refused at registration and login."""
    authenticator = SoftAuthenticator()
    with pytest.raises(InvalidRegistrationResponse, match="challenge"):
        verify_registration(authenticator.create(registration_options(b"stale"), origin=ORIGIN))
    _, public_key = register(authenticator)
    response = authenticator.get(authentication_options(b"stale"), origin=ORIGIN)
    with pytest.raises(InvalidAuthenticationResponse, match="challenge"):
        verify_login(response, public_key)


def test_missing_user_verification_is_rejected_when_required() -> None:
    """Without the UV flag, require_user_verification=True refuses registration and login."""
    authenticator = SoftAuthenticator(user_verification=False)
    with pytest.raises(InvalidRegistrationResponse, match="User verification"):
        register(authenticator)
    verifying = SoftAuthenticator()
    _, public_key = register(verifying)
    verifying.user_verification = False
    response = verifying.get(authentication_options(), origin=ORIGIN)
    with pytest.raises(InvalidAuthenticationResponse, match="User verification"):
        verify_login(response, public_key)


def test_credential_choice_follows_allow_list_and_rp_id() -> None:
    """Discoverable login uses the newest key for the RP id; an allow list narrows the choice."""
    authenticator = SoftAuthenticator()
    older, _ = register(authenticator)
    newer, _ = register(authenticator)
    assert list(authenticator.credentials) == [older, newer]
    assert authenticator.get(authentication_options(), origin=ORIGIN)["id"] == b64url_encode(newer)
    chosen = authenticator.get(authentication_options(allow=[older]), origin=ORIGIN)
    assert chosen["id"] == b64url_encode(older)
    explicit = authenticator.get(authentication_options(), origin=ORIGIN, credential_id=older)
    assert explicit["id"] == b64url_encode(older)
    with pytest.raises(LookupError):
        authenticator.get(authentication_options(allow=[b"unknown"]), origin=ORIGIN)
    with pytest.raises(LookupError):
        authenticator.get(authentication_options(), origin=ORIGIN, rp_id="other.example")
