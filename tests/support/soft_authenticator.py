"""A software WebAuthn authenticator for tests, built on ``cryptography`` and ``cbor2``.

It answers the JSON produced by ``webauthn.options_to_json`` with the JSON a browser's
``PublicKeyCredential.toJSON()`` would send back, so tests can drive registration and
login without a browser. Keys are ES256 (P-256), attestation is ``"none"`` and every
credential is stored as a resident (discoverable) key.
"""

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

_ES256 = -7
_FLAG_UP = 0x01
_FLAG_UV = 0x04
_FLAG_BE = 0x08
_FLAG_BS = 0x10
_FLAG_AT = 0x40


def b64url_encode(data: bytes) -> str:
    """Encode bytes as base64url without padding, as WebAuthn JSON does."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64url_decode(text: str) -> bytes:
    """Decode base64url text, with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftCredential:
    """One resident key held by the authenticator.

    Attributes:
        credential_id: The random 32-byte credential id.
        private_key: The P-256 private key that signs assertions.
        rp_id: The relying-party id the credential is scoped to.
        user_handle: The user handle (``user.id``) given at registration.
        sign_count: The signature counter reported by the last ceremony.
    """

    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    @property
    def cose_public_key(self) -> bytes:
        """The public key as a CBOR-encoded COSE EC2 key (kty 2, alg -7, crv 1)."""
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: _ES256,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


class SoftAuthenticator:
    """A platform authenticator that lives in memory.

    Attributes:
        credentials: Resident keys by credential id, oldest first.
        sign_count_step: How much each assertion adds to the counter; set it to 0 to
            act like an authenticator without a signature counter.
    """

    def __init__(
        self,
        *,
        aaguid: bytes = bytes(16),
        user_verification: bool = True,
        user_presence: bool = True,
        backup_eligible: bool = False,
    ) -> None:
        """Set up an authenticator with no credentials.

        Args:
            aaguid: The 16-byte AAGUID put in attested credential data.
            user_verification: Whether responses carry the UV flag.
            user_presence: Whether responses carry the UP flag.
            backup_eligible: Whether responses carry the BE and BS flags (a synced passkey).

        Raises:
            ValueError: If ``aaguid`` is not 16 bytes.
        """
        if len(aaguid) != 16:
            raise ValueError("aaguid must be 16 bytes")
        self.aaguid = aaguid
        self.user_verification = user_verification
        self.user_presence = user_presence
        self.backup_eligible = backup_eligible
        self.sign_count_step = 1
        self.credentials: dict[bytes, SoftCredential] = {}

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str,
        rp_id: str | None = None,
        tamper_signature: bool = False,
    ) -> dict[str, Any]:
        """Answer ``navigator.credentials.create()`` and store a new resident key.

        Args:
            options: The parsed JSON of ``options_to_json(generate_registration_options(...))``.
            origin: The origin written into clientDataJSON.
            rp_id: An RP id to hash instead of ``options["rp"]["id"]``.
            tamper_signature: A "none" attestation has no signature, so this adds a bogus
                ``sig`` to ``attStmt``, which a verifier must reject.

        Returns:
            The registration credential as browser-style JSON (a dict).

        Raises:
            ValueError: If the options do not allow ES256, name no RP id, or exclude a
                credential this authenticator holds.
        """
        algs = [param.get("alg") for param in options.get("pubKeyCredParams", [])]
        if algs and _ES256 not in algs:
            raise ValueError("the options do not allow ES256 (-7)")
        excluded = {b64url_decode(cred["id"]) for cred in options.get("excludeCredentials", [])}
        if excluded & self.credentials.keys():
            raise ValueError("an excluded credential is already on this authenticator")
        effective_rp_id = rp_id or options["rp"].get("id")
        if not effective_rp_id:
            raise ValueError("no RP id in the options and none given")

        credential = SoftCredential(
            credential_id=secrets.token_bytes(32),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=effective_rp_id,
            user_handle=b64url_decode(options["user"]["id"]),
        )
        self.credentials[credential.credential_id] = credential

        attested = (
            self.aaguid
            + len(credential.credential_id).to_bytes(2, "big")
            + credential.credential_id
            + credential.cose_public_key
        )
        auth_data = self._authenticator_data(effective_rp_id, _FLAG_AT, 0) + attested
        att_stmt: dict[str, bytes] = {"sig": secrets.token_bytes(70)} if tamper_signature else {}
        attestation_object = cbor2.dumps(
            {"fmt": "none", "attStmt": att_stmt, "authData": auth_data}
        )
        client_data = _client_data("webauthn.create", options["challenge"], origin)
        return _browser_json(
            credential.credential_id,
            client_data,
            attestationObject=b64url_encode(attestation_object),
            transports=["internal"],
        )

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str,
        rp_id: str | None = None,
        credential_id: bytes | None = None,
        tamper_signature: bool = False,
        user_handle: bytes | None = None,
    ) -> dict[str, Any]:
        """Answer ``navigator.credentials.get()`` with an assertion.

        With an empty ``allowCredentials`` the newest credential for the RP id is used
        (discoverable login); otherwise the newest held credential on the list. Either way
        ``credential_id`` picks one explicitly, whatever its RP id.

        Args:
            options: The parsed JSON of ``options_to_json(generate_authentication_options(...))``.
            origin: The origin written into clientDataJSON.
            rp_id: An RP id to hash (and, for discoverable login, to look up) instead of
                ``options["rpId"]``.
            credential_id: The credential to use instead of the default choice.
            tamper_signature: Flip the last byte of the DER signature.
            user_handle: A userHandle to return instead of the credential's own.

        Returns:
            The authentication credential as browser-style JSON (a dict).

        Raises:
            LookupError: If no suitable credential is held.
            ValueError: If neither the options nor ``rp_id`` give an RP id.
        """
        effective_rp_id = rp_id or options.get("rpId")
        if not effective_rp_id:
            raise ValueError("no RP id in the options and none given")
        credential = self._choose(options, effective_rp_id, credential_id)
        credential.sign_count += self.sign_count_step

        auth_data = self._authenticator_data(effective_rp_id, 0, credential.sign_count)
        client_data = _client_data("webauthn.get", options["challenge"], origin)
        signature = credential.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        if tamper_signature:
            signature = signature[:-1] + bytes([signature[-1] ^ 0x01])
        handle = credential.user_handle if user_handle is None else user_handle
        return _browser_json(
            credential.credential_id,
            client_data,
            authenticatorData=b64url_encode(auth_data),
            signature=b64url_encode(signature),
            userHandle=b64url_encode(handle),
        )

    def _choose(
        self, options: dict[str, Any], rp_id: str, credential_id: bytes | None
    ) -> SoftCredential:
        """Pick the credential an assertion is made with."""
        allowed = [b64url_decode(cred["id"]) for cred in options.get("allowCredentials") or []]
        if credential_id is not None:
            if credential_id not in self.credentials or (allowed and credential_id not in allowed):
                raise LookupError("that credential is not held or not allowed")
            return self.credentials[credential_id]
        held = reversed(self.credentials.values())
        if allowed:
            candidates = [cred for cred in held if cred.credential_id in allowed]
        else:
            candidates = [cred for cred in held if cred.rp_id == rp_id]
        if not candidates:
            raise LookupError(f"no credential held for {rp_id!r}")
        return candidates[0]

    def _authenticator_data(self, rp_id: str, extra_flags: int, sign_count: int) -> bytes:
        """Build rpIdHash || flags || signCount (attested data is appended by the caller)."""
        flags = extra_flags
        if self.user_presence:
            flags |= _FLAG_UP
        if self.user_verification:
            flags |= _FLAG_UV
        if self.backup_eligible:
            flags |= _FLAG_BE | _FLAG_BS
        return (
            hashlib.sha256(rp_id.encode("utf-8")).digest()
            + bytes([flags])
            + sign_count.to_bytes(4, "big")
        )


def _client_data(ceremony: str, challenge: str, origin: str) -> bytes:
    """Serialise clientDataJSON the way browsers do (compact, fixed key order)."""
    data = {"type": ceremony, "challenge": challenge, "origin": origin, "crossOrigin": False}
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def _browser_json(credential_id: bytes, client_data: bytes, **response: Any) -> dict[str, Any]:
    """A credential as ``PublicKeyCredential.toJSON()`` gives it, with these ``response`` fields."""
    return {
        "id": b64url_encode(credential_id),
        "rawId": b64url_encode(credential_id),
        "type": "public-key",
        "response": {"clientDataJSON": b64url_encode(client_data), **response},
        "clientExtensionResults": {},
        "authenticatorAttachment": "platform",
    }
