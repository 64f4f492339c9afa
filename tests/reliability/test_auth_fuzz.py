"""Malformed sign-in bodies: never a 5xx, always a JSON error code, never a changed row.

Hypothesis throws broken bodies at the four passkey endpoints through real HTTP: random
bytes, broken and deeply nested JSON, wrong types, bad base64url, near-valid CBOR
attestation objects built with cbor2, bodies over the 64 KB limit, and real answers of the
software authenticator mutated (bytes flipped, keys dropped, types changed).

Registration bodies carry a real invite token, so they get past the invite check and reach
the passkey checks. The real registration answer they start from is valid, so a mutation
that leaves it valid would rightly register someone; py_webauthn itself (the library the
server calls, with the same arguments) is the oracle that skips such examples. Login answers
are signed by an impostor key for a registered credential id: every check runs, and the
signature can never verify.

Examples: ``MADOGUCHI_FUZZ_EXAMPLES`` (default 300; CI sets 2000 or more, and with ``CI``
set the test insists on it).
"""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import cbor2
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, assume, given, note
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st
from webauthn import verify_authentication_response, verify_registration_response

from server.app import create_app
from server.auth import service
from server.auth.routes import BODY_LIMIT, MAX_BODY
from server.auth.web import SESSION_COOKIE
from server.settings import AuthSettings, Settings
from tests import dbutil
from tests.support.cleanup import remove_test_rows_async
from tests.support.fuzz_values import (
    FUZZ_EXAMPLES,
    JSON_VALUES,
    SCALARS,
    check_ci_examples,
    shown,
)
from tests.support.harness import open_client
from tests.support.soft_authenticator import (
    SoftAuthenticator,
    SoftCredential,
    b64url_decode,
    b64url_encode,
)

pytestmark = pytest.mark.slow


REGISTER_OPTIONS = "/auth/register/options"
REGISTER_VERIFY = "/auth/register/verify"
LOGIN_OPTIONS = "/auth/login/options"
LOGIN_VERIFY = "/auth/login/verify"
ENDPOINTS = (REGISTER_OPTIONS, REGISTER_VERIFY, LOGIN_OPTIONS, LOGIN_VERIFY)
# Rows no refused sign-in may touch. audit_event, rate_limit and webauthn_challenge may.
GUARDED_TABLES = ("staff", "webauthn_credential", "login_session", "invite")
CONTENT_TYPES = (
    "application/json",
    None,
    "text/plain",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
)

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


# --- rows ------------------------------------------------------------------------------


class RowDump:
    """Full dumps of the guarded tables, read on a connection of our own (not the app's)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._sqlite: sqlite3.Connection | None = None
        self._pg: asyncpg.Connection | None = None

    async def open(self) -> RowDump:
        if dbutil.is_postgres(self.url):
            self._pg = await asyncpg.connect(self.url, timeout=10)
        else:
            self._sqlite = sqlite3.connect(
                self.url.removeprefix("sqlite:///"), isolation_level=None
            )
        return self

    async def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        result: dict[str, list[tuple[Any, ...]]] = {}
        for table in GUARDED_TABLES:
            sql = f"SELECT * FROM {table} ORDER BY id"
            if self._pg is not None:
                result[table] = [tuple(row.values()) for row in await self._pg.fetch(sql)]
            else:
                assert self._sqlite is not None
                result[table] = self._sqlite.execute(sql).fetchall()
        return result

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()
        if self._sqlite is not None:
            self._sqlite.close()


def row_changes(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    """Human-readable differences between two dumps."""
    changes = []
    for table in GUARDED_TABLES:
        gone = [row for row in before[table] if row not in after[table]]
        new = [row for row in after[table] if row not in before[table]]
        changes += [f"{table}: - {row}" for row in gone] + [f"{table}: + {row}" for row in new]
    return changes


# --- the rig: an app, a registered person, live challenges and real answers ----------------


@dataclasses.dataclass
class Rig:
    """Everything the fuzz examples aim at."""

    client: httpx.AsyncClient
    auth: AuthSettings
    origin: str
    token: str  # a live invite: registration bodies get past the invite check with it
    register_challenge: bytes
    register_answer: dict[str, Any]  # valid for the live challenge; never sent unmutated
    login_challenge: bytes
    login_answer: dict[str, Any]  # the registered credential's id, signed by an impostor
    owner_credential_id: bytes
    owner_public_key: bytes
    owner_sign_count: int
    rows: RowDump
    before: dict[str, list[Any]]  # the guarded rows once the rig was ready


async def new_invite(rig_auth: AuthSettings, name: str) -> str:
    """A fresh invite made as the CLI bootstrap does (no acting manager)."""
    created = await service.create_invite(auth=rig_auth, role="operator", display_name=name)
    return created.token


async def registration_options(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.post(REGISTER_OPTIONS, json={"token": token})
    assert response.status_code == 200, response.text
    options: dict[str, Any] = response.json()
    return options


@pytest.fixture
async def rig(settings: Settings, database_url: str) -> AsyncIterator[Rig]:
    """An app whose sign-in rate limit never triggers, primed with a registered person."""
    relaxed = dataclasses.replace(
        settings, auth=dataclasses.replace(settings.auth, signin_limit=1_000_000_000)
    )
    app = create_app(relaxed)
    auth = relaxed.auth
    origin = auth.origins[0]
    rows = await RowDump(database_url).open()
    try:
        # As the client fixture does: HTTP through the app in this loop, CSRF token preset.
        async with open_client(app) as client:
            # A person with a passkey, so login answers reach the signature check.
            owner = SoftAuthenticator()
            owner_token = await new_invite(auth, "Fuzz Owner")
            created = owner.create(await registration_options(client, owner_token), origin=origin)
            registered = await client.post(
                REGISTER_VERIFY, json={"token": owner_token, "credential": created}
            )
            assert registered.status_code == 200, registered.text
            # No session cookie from here on: a session in use would get its last_seen touched.
            client.cookies.delete(SESSION_COOKIE)
            (credential,) = owner.credentials.values()

            # The invite every registration body uses, and a valid answer to its challenge.
            token = await new_invite(auth, "Fuzz Invitee")
            options = await registration_options(client, token)
            register_answer = SoftAuthenticator().create(options, origin=origin)

            # A login challenge, answered for the owner's credential id with another key.
            login_options = (await client.post(LOGIN_OPTIONS, json={})).json()
            impostor = SoftAuthenticator()
            impostor.credentials[credential.credential_id] = SoftCredential(
                credential_id=credential.credential_id,
                private_key=ec.generate_private_key(ec.SECP256R1()),
                rp_id=credential.rp_id,
                user_handle=credential.user_handle,
                sign_count=credential.sign_count,
            )
            login_answer = impostor.get(login_options, origin=origin)

            yield Rig(
                client=client,
                auth=auth,
                origin=origin,
                token=token,
                register_challenge=b64url_decode(options["challenge"]),
                register_answer=register_answer,
                login_challenge=b64url_decode(login_options["challenge"]),
                login_answer=login_answer,
                owner_credential_id=credential.credential_id,
                owner_public_key=credential.cose_public_key,
                owner_sign_count=credential.sign_count,
                rows=rows,
                before=await rows.dump(),
            )
    finally:
        await rows.close()
        await remove_test_rows_async(database_url)


# --- strategies ----------------------------------------------------------------------------

CBOR_VALUES = st.recursive(
    st.one_of(SCALARS, st.binary(max_size=80)),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.one_of(st.integers(-5, 5), st.text(max_size=6)), inner, max_size=4)
    ),
    max_leaves=8,
)
BAD_B64 = st.one_of(
    st.sampled_from(["", "=", "====", "A", "AB=C", "A===A", "é", "\ud800", "\x00", "ab cd", "+/"]),
    st.text(alphabet=B64URL + "+/=!. é\x00\n", max_size=60),
    # One character more than a multiple of four: no base64 decoder accepts that length.
    st.integers(0, 15).flatmap(
        lambda n: st.text(alphabet=B64URL, min_size=4 * n + 1, max_size=4 * n + 1)
    ),
)
JUNK_TOKENS = st.one_of(BAD_B64, st.text(max_size=250), JSON_VALUES)
JUNK_JSON = (
    b"",
    b"{",
    b"}",
    b"[1,2",
    b"{'token': 'x'}",
    b'{"token": NaN}',
    b'{"token": Infinity}',
    b'{"token": "x",}',
    b'{"token": "x"}{"token": "y"}',
    b'{"token": "\\ud800"}',
    b'{"token": "\\u00"}',
    b'{"credential": {"response": {"clientDataJSON": "\\x"}}}',
    b"\xef\xbb\xbf{}",
    b"\xff\xfe{\x00}\x00",
    b"null",
    b"nul",
    b'"token"',
    b"1e999999",
    b"-",
    b'{"token": 1' + b"0" * 5000 + b"}",
)
CEREMONY_TYPES = ("webauthn.create", "webauthn.get", "payment.get", "", "WEBAUTHN.CREATE")
FORMATS = ("none", "packed", "fido-u2f", "tpm", "apple", "android-key", "android-safetynet", "")


def dumps(value: Any) -> bytes:
    """JSON as a script would send it (non-ASCII escaped, so lone surrogates survive)."""
    return json.dumps(value).encode()


def tolerant_b64(text: Any) -> bytes | None:
    """Decode base64url, or None when ``text`` is not decodable."""
    if not isinstance(text, str):
        return None
    try:
        return b64url_decode(text)
    except ValueError:  # binascii.Error and UnicodeEncodeError are ValueErrors
        return None


def wrap(path: str, credential: Any, token: Any) -> bytes:
    """The body ``path`` expects around ``credential``."""
    if path == REGISTER_VERIFY:
        return dumps({"token": token, "credential": credential})
    if path == LOGIN_VERIFY:
        return dumps({"credential": credential})
    if path == REGISTER_OPTIONS:
        return dumps({"token": token})
    return dumps({"credential": credential})


Draw = Callable[[st.SearchStrategy[Any]], Any]


def draw_token(draw: Draw, rig: Rig) -> Any:
    """Mostly the live invite's token (to get past the invite check), sometimes junk."""
    if draw(st.integers(0, 3)):
        return rig.token
    return draw(JUNK_TOKENS)


def family_random_bytes(draw: Draw, rig: Rig, path: str) -> bytes:
    data: bytes = draw(st.binary(max_size=600))
    return data


def family_invalid_json(draw: Draw, rig: Rig, path: str) -> bytes:
    kind = draw(st.sampled_from(["junk", "text", "truncated"]))
    if kind == "junk":
        junk: bytes = draw(st.sampled_from(JUNK_JSON))
        return junk
    if kind == "text":
        return str(draw(st.text(max_size=120))).encode("utf-8", "surrogatepass")
    base = rig.login_answer if path.startswith("/auth/login") else rig.register_answer
    whole = wrap(path, base, rig.token)
    return whole[: draw(st.integers(0, len(whole) - 1))]


def family_deep_nesting(draw: Draw, rig: Rig, path: str) -> bytes:
    depth: int = draw(st.one_of(st.integers(1, 40_000), st.sampled_from([999, 1000, 1001, 5000])))
    pair: tuple[bytes, bytes] = draw(
        st.sampled_from([(b"[", b"]"), (b'{"a":', b"}"), (b'[{"b":', b"}]")])
    )
    opener, closer = pair
    closed = draw(st.booleans())
    nested = opener * depth + b"1" + (closer * depth if closed else b"")
    where = draw(st.sampled_from(["bare", "credential", "token", "client_data"]))
    if where == "bare":
        return nested
    if where == "token":
        return b'{"token": ' + nested + b"}"
    if where == "credential":
        return b'{"token": "' + rig.token.encode() + b'", "credential": {"x": ' + nested + b"}}"
    credential = copy.deepcopy(rig.register_answer if "register" in path else rig.login_answer)
    credential["response"]["clientDataJSON"] = b64url_encode(nested)
    return wrap(path, credential, rig.token)


def family_wrong_types(draw: Draw, rig: Rig, path: str) -> bytes:
    if draw(st.booleans()):
        return dumps(draw(JSON_VALUES))
    body: dict[str, Any] = {}
    for key in ("token", "credential"):
        if draw(st.booleans()):
            body[key] = draw(st.one_of(JSON_VALUES, st.just(rig.token)))
    if draw(st.integers(0, 4)) == 0:
        body[draw(st.text(max_size=10))] = draw(JSON_VALUES)
    return dumps(body)


def family_bad_base64(draw: Draw, rig: Rig, path: str) -> bytes:
    fields = ["clientDataJSON", "attestationObject", "authenticatorData", "signature", "userHandle"]
    response = {name: draw(BAD_B64) for name in fields if draw(st.integers(0, 3))}
    credential = {
        "id": draw(BAD_B64),
        "rawId": draw(BAD_B64),
        "type": draw(st.sampled_from(["public-key", "", "private-key"])),
        "response": response,
    }
    return wrap(path, credential, draw_token(draw, rig))


def family_client_data(draw: Draw, rig: Rig, path: str) -> bytes:
    """A real answer whose clientDataJSON is rebuilt from odd fields (read before anything)."""
    registering = path == REGISTER_VERIFY
    answer = copy.deepcopy(rig.register_answer if registering else rig.login_answer)
    live = rig.register_challenge if registering else rig.login_challenge
    fields = {
        "type": st.one_of(st.sampled_from(CEREMONY_TYPES), JSON_VALUES),
        "challenge": st.one_of(
            st.just(b64url_encode(live)),
            st.just(b64url_encode(live) + "=="),
            BAD_B64,
            st.text(alphabet=B64URL, max_size=130),
            st.text(max_size=20),
            JSON_VALUES,
        ),
        "origin": st.one_of(st.just(rig.origin), st.sampled_from(["", "null"]), JSON_VALUES),
        "crossOrigin": JSON_VALUES,
        "tokenBinding": st.one_of(
            st.fixed_dictionaries({"status": st.sampled_from(["present", "supported", "x"])}),
            JSON_VALUES,
        ),
    }
    client_data = draw(st.fixed_dictionaries({}, optional=fields))
    if draw(st.integers(0, 5)) == 0:
        client_data = draw(JSON_VALUES)
    text = json.dumps(client_data, ensure_ascii=draw(st.booleans()))
    answer["response"]["clientDataJSON"] = b64url_encode(text.encode("utf-8", "surrogatepass"))
    return wrap(path, answer, draw_token(draw, rig) if registering else None)


def family_huge(draw: Draw, rig: Rig, path: str) -> bytes:
    """Bodies just under, at and over the app's 64 KB limit, up to Litestar's own 1 MB.

    Beyond BODY_LIMIT Litestar answers 413 before the route runs (its own JSON shape, no
    ``error`` code): ``test_body_over_the_framework_limit_is_413`` covers that.
    """
    size = draw(
        st.one_of(
            st.integers(MAX_BODY - 64, MAX_BODY + 4096),
            st.sampled_from([MAX_BODY, MAX_BODY + 1, 200_000, BODY_LIMIT - 4096]),
        )
    )
    char = draw(st.sampled_from(["A", "é", "\\", "0"]))
    huge = char * (size // len(json.dumps(char)[1:-1]))  # JSON-escaped width of one char
    where = draw(st.sampled_from(["token", "id", "client_data", "unknown", "user_handle"]))
    if where == "token":
        return dumps({"token": huge})
    credential = copy.deepcopy(rig.register_answer if "register" in path else rig.login_answer)
    if where == "id":
        credential["rawId"] = huge
    elif where == "client_data":
        credential["response"]["clientDataJSON"] = huge
    elif where == "user_handle":
        credential["response"]["userHandle"] = huge
    else:
        credential["padding"] = huge
    return wrap(path, credential, rig.token)


# CBOR: near-valid attestation objects for the live registration challenge.


def split_auth_data(auth_data: bytes) -> tuple[bytes, int, bytes, bytes, bytes, bytes, bytes]:
    """rpIdHash, flags, signCount, AAGUID, credential id, COSE key, trailing bytes."""
    length = int.from_bytes(auth_data[53:55], "big")
    cred_id = auth_data[55 : 55 + length]
    decoder = cbor2.CBORDecoder(io.BytesIO(auth_data[55 + length :]))
    decoder.decode()
    end = 55 + length + decoder.fp.tell()
    return (
        auth_data[:32],
        auth_data[32],
        auth_data[33:37],
        auth_data[37:53],
        cred_id,
        auth_data[55 + length : end],
        auth_data[end:],
    )


def family_cbor(draw: Draw, rig: Rig, path: str) -> bytes:
    """An attestation object rebuilt from the real one with cbor2, parts broken on purpose."""
    credential = copy.deepcopy(rig.register_answer)
    real = cbor2.loads(b64url_decode(credential["response"]["attestationObject"]))
    rp_hash, flags, count, aaguid, cred_id, cose_bytes, _ = split_auth_data(real["authData"])
    cose: dict[Any, Any] = cbor2.loads(cose_bytes)
    for key in draw(st.lists(st.sampled_from([1, 3, -1, -2, -3]), max_size=3, unique=True)):
        action = draw(st.sampled_from(["drop", "retype", "variant"]))
        if action == "drop":
            cose.pop(key, None)
        elif action == "retype":
            cose[key] = draw(CBOR_VALUES)
        else:
            cose[key] = draw(
                {
                    1: st.sampled_from([1, 3, 4, 0, -2, "EC2"]),
                    3: st.sampled_from([-7, -8, -35, -257, 0, -999, "ES256"]),
                    -1: st.sampled_from([1, 2, 6, 0, "P-256"]),
                    -2: st.binary(max_size=40),
                    -3: st.one_of(st.binary(max_size=40), st.booleans()),
                }[key]
            )
    if draw(st.integers(0, 4)) == 0:
        cose[draw(st.integers(-10, 10))] = draw(CBOR_VALUES)
    new_cose = cbor2.dumps(cose)
    if draw(st.integers(0, 5)) == 0:
        new_cose = new_cose[: draw(st.integers(0, len(new_cose)))]
    if draw(st.integers(0, 3)) == 0:
        flags = draw(st.integers(0, 255))
    if draw(st.integers(0, 4)) == 0:
        cred_id = draw(st.binary(max_size=70))
    declared = len(cred_id)
    if draw(st.integers(0, 5)) == 0:
        declared = draw(st.integers(0, 0xFFFF))
    extensions = b""
    if draw(st.integers(0, 5)) == 0:
        extensions = draw(st.one_of(st.binary(max_size=20), CBOR_VALUES.map(cbor2.dumps)))
    if draw(st.integers(0, 9)) == 0:
        rp_hash = draw(st.binary(min_size=32, max_size=32))
    auth_data = (
        rp_hash
        + bytes([flags])
        + count
        + aaguid
        + declared.to_bytes(2, "big")
        + cred_id
        + new_cose
        + extensions
    )
    if draw(st.integers(0, 5)) == 0:
        auth_data = auth_data[: draw(st.integers(0, len(auth_data)))]
    statement: dict[str, Any] = {
        "fmt": draw(st.one_of(st.sampled_from(FORMATS), CBOR_VALUES)),
        "attStmt": draw(
            st.one_of(
                st.just({}),
                st.fixed_dictionaries(
                    {}, optional={"sig": st.binary(max_size=72), "alg": st.integers(-300, 5)}
                ),
                st.fixed_dictionaries({}, optional={"x5c": st.lists(st.binary(max_size=40))}),
                CBOR_VALUES,
            )
        ),
        "authData": auth_data if draw(st.integers(0, 6)) else draw(CBOR_VALUES),
    }
    for key in draw(st.lists(st.sampled_from(list(statement)), max_size=2, unique=True)):
        if draw(st.integers(0, 2)) == 0:
            del statement[key]
    shape = draw(st.sampled_from(["map", "map", "map", "list", "trailing", "truncated", "value"]))
    if shape == "list":
        encoded = cbor2.dumps(list(statement.values()))
    elif shape == "value":
        encoded = cbor2.dumps(draw(CBOR_VALUES))
    else:
        encoded = cbor2.dumps(statement)
        if shape == "trailing":
            encoded += draw(st.binary(min_size=1, max_size=16))
        elif shape == "truncated":
            encoded = encoded[: draw(st.integers(0, len(encoded) - 1))]
    credential["response"]["attestationObject"] = b64url_encode(encoded)
    credential["id"] = credential["rawId"] = b64url_encode(cred_id)
    return wrap(REGISTER_VERIFY, credential, rig.token)


# Mutations of a real answer.


def key_paths(answer: dict[str, Any]) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = [(key,) for key in answer]
    response = answer.get("response")
    if isinstance(response, dict):
        paths += [("response", key) for key in response]
    return paths


def get_at(answer: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = answer
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def set_at(answer: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target: Any = answer
    for key in path[:-1]:
        if not isinstance(target, dict):
            return
        target = target.setdefault(key, {})
    if isinstance(target, dict):
        target[path[-1]] = value


def drop_at(answer: dict[str, Any], path: tuple[str, ...]) -> None:
    target = get_at(answer, path[:-1]) if len(path) > 1 else answer
    if isinstance(target, dict):
        target.pop(path[-1], None)


def mutate_bytes(draw: Draw, raw: bytes) -> bytes:
    action = draw(st.sampled_from(["flip", "truncate", "append", "replace"]))
    if action == "flip" and raw:
        index: int = draw(st.integers(0, len(raw) - 1))
        mask: int = draw(st.integers(1, 255))
        return raw[:index] + bytes([raw[index] ^ mask]) + raw[index + 1 :]
    if action == "truncate" and raw:
        cut: int = draw(st.integers(0, len(raw) - 1))
        return raw[:cut]
    if action == "append":
        extra: bytes = draw(st.binary(min_size=1, max_size=40))
        return raw + extra
    replaced: bytes = draw(st.binary(max_size=80))
    return replaced


def mutate_client_data(draw: Draw, answer: dict[str, Any]) -> None:
    try:
        client_data = json.loads(b64url_decode(answer["response"]["clientDataJSON"]))
    except (KeyError, TypeError, ValueError):
        return
    if not isinstance(client_data, dict):
        return
    key = draw(st.sampled_from(["type", "challenge", "origin", "crossOrigin", "tokenBinding", "x"]))
    action = draw(st.sampled_from(["drop", "retype", "variant"]))
    if action == "drop":
        client_data.pop(key, None)
    elif action == "retype":
        client_data[key] = draw(JSON_VALUES)
    elif key == "type":
        client_data[key] = draw(st.sampled_from(CEREMONY_TYPES))
    elif key == "challenge":
        client_data[key] = draw(st.one_of(BAD_B64, st.text(alphabet=B64URL, max_size=130)))
    elif key == "origin":
        client_data[key] = draw(
            st.sampled_from(["http://evil.example", "", "null", "http://localhost", "HTTP://X"])
        )
    elif key == "tokenBinding":
        client_data[key] = draw(
            st.fixed_dictionaries({"status": st.sampled_from(["present", "supported", "x", ""])})
        )
    else:
        client_data[key] = draw(JSON_VALUES)
    text = json.dumps(client_data, separators=(",", ":"))
    answer["response"]["clientDataJSON"] = b64url_encode(text.encode("utf-8", "surrogatepass"))


def mutate_attestation_object(draw: Draw, answer: dict[str, Any]) -> None:
    raw = tolerant_b64(get_at(answer, ("response", "attestationObject")))
    if raw is None:
        return
    try:
        statement = cbor2.loads(raw)
    except Exception:  # already broken by an earlier mutation
        return
    if not isinstance(statement, dict):
        return
    key = draw(st.sampled_from(["fmt", "attStmt", "authData"]))
    action = draw(st.sampled_from(["drop", "retype", "variant"]))
    if action == "drop":
        statement.pop(key, None)
    elif action == "retype":
        statement[key] = draw(CBOR_VALUES)
    elif key == "fmt":
        statement[key] = draw(st.sampled_from(FORMATS))
    elif key == "attStmt":
        statement[key] = draw(
            st.fixed_dictionaries(
                {"sig": st.binary(max_size=72)},
                optional={"alg": st.integers(-300, 5), "x5c": st.lists(st.binary(max_size=40))},
            )
        )
    elif isinstance(statement.get("authData"), bytes):
        statement[key] = mutate_bytes(draw, statement["authData"])
    set_at(answer, ("response", "attestationObject"), b64url_encode(cbor2.dumps(statement)))


def family_mutated_answer(draw: Draw, rig: Rig, path: str) -> bytes:
    registering = path == REGISTER_VERIFY
    answer = copy.deepcopy(rig.register_answer if registering else rig.login_answer)
    operations = ["bytes", "garble", "drop", "retype", "add_key", "client_data"]
    if registering:
        operations.append("attestation_object")
    for operation in draw(st.lists(st.sampled_from(operations), min_size=1, max_size=3)):
        paths = key_paths(answer)
        if operation == "bytes":
            b64_paths = [p for p in paths if tolerant_b64(get_at(answer, p)) is not None]
            if b64_paths:
                target = draw(st.sampled_from(b64_paths))
                raw = tolerant_b64(get_at(answer, target))
                assert raw is not None
                set_at(answer, target, b64url_encode(mutate_bytes(draw, raw)))
        elif operation == "garble" and paths:
            set_at(answer, draw(st.sampled_from(paths)), draw(BAD_B64))
        elif operation == "drop" and paths:
            drop_at(answer, draw(st.sampled_from(paths)))
        elif operation == "retype" and paths:
            set_at(answer, draw(st.sampled_from(paths)), draw(JSON_VALUES))
        elif operation == "add_key":
            where = draw(st.sampled_from([(), ("response",)]))
            set_at(answer, (*where, draw(st.text(max_size=12))), draw(JSON_VALUES))
        elif operation == "client_data":
            mutate_client_data(draw, answer)
        elif operation == "attestation_object":
            mutate_attestation_object(draw, answer)
    token = draw_token(draw, rig) if registering else None
    return wrap(path, answer, token)


FAMILIES: dict[str, Callable[[Draw, Rig, str], bytes]] = {
    "random_bytes": family_random_bytes,
    "invalid_json": family_invalid_json,
    "deep_nesting": family_deep_nesting,
    "wrong_types": family_wrong_types,
    "bad_base64": family_bad_base64,
    "huge": family_huge,
    "client_data": family_client_data,
    "cbor": family_cbor,
    "mutated_answer": family_mutated_answer,
}
FOR_OPTIONS = ("random_bytes", "invalid_json", "deep_nesting", "wrong_types", "huge")
FOR_VERIFY = (*FOR_OPTIONS, "bad_base64", "client_data", "mutated_answer", "mutated_answer")


# --- the oracle and the checks ---------------------------------------------------------------


def verifies_as_is(rig: Rig, path: str, body: bytes) -> bool:
    """Whether py_webauthn, called as the server calls it, accepts this body's passkey answer.

    Such a body is a genuine (if odd) answer that would rightly sign someone in or register
    them; it is no malformed input, so the example is skipped.
    """
    if path not in (REGISTER_VERIFY, LOGIN_VERIFY) or len(body) > MAX_BODY:
        return False
    try:
        document = json.loads(body)
        credential = document["credential"]
        if path == REGISTER_VERIFY:
            if document.get("token") != rig.token:
                return False
            verify_registration_response(
                credential=credential,
                expected_challenge=rig.register_challenge,
                expected_rp_id=rig.auth.rp_id,
                expected_origin=list(rig.auth.origins),
                require_user_verification=True,
            )
        else:
            verify_authentication_response(
                credential=credential,
                expected_challenge=rig.login_challenge,
                expected_rp_id=rig.auth.rp_id,
                expected_origin=list(rig.auth.origins),
                credential_public_key=rig.owner_public_key,
                credential_current_sign_count=rig.owner_sign_count,
                require_user_verification=True,
            )
    except Exception:  # anything py_webauthn or the JSON parser refuses
        return False
    return True


async def post_and_check(rig: Rig, path: str, body: bytes, content_type: str | None) -> None:
    """Send ``body`` and check the answer and the guarded rows."""
    # Compared with the rows just before this request (not the start of the run), so a
    # change is blamed on the example that made it and shrinking homes in on that one.
    before = await rig.rows.dump()
    headers = {"content-type": content_type} if content_type else {}
    response = await rig.client.post(path, content=body, headers=headers)
    status = response.status_code
    assert status < 500, (
        f"BUG: {path} answered {status} to a malformed body {shown(body)}: malformed input must "
        f"be refused with a 4xx JSON error, never crash the server. Response: {response.text[:200]}"
    )
    try:
        payload = response.json()
    except ValueError:
        pytest.fail(f"{path} answered {status} with non-JSON {response.text[:200]!r}")
    assert isinstance(payload, dict), payload
    if status == 200 and path in (REGISTER_OPTIONS, LOGIN_OPTIONS):
        assert isinstance(payload.get("challenge"), str), payload
    else:
        assert 400 <= status < 500, (
            f"BUG: {path} accepted a malformed body with {status}: {shown(body)}"
        )
        assert isinstance(payload.get("error"), str) and payload["error"], (
            f"{path} answered {status} without an error code: {payload}"
        )
        assert SESSION_COOKIE not in response.headers.get("set-cookie", ""), response.headers
    changes = row_changes(before, await rig.rows.dump())
    assert not changes, (
        f"BUG: {path} answered {status} to {shown(body)} but changed rows:\n" + "\n".join(changes)
    )


@fuzz_settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
async def test_malformed_sign_in_bodies_fail_cleanly(rig: Rig, data: st.DataObject) -> None:
    """No 5xx, a JSON error code on every refusal, no guarded row changed."""
    check_ci_examples()
    path = data.draw(st.sampled_from(ENDPOINTS), label="path")
    choices = FOR_OPTIONS if path in (REGISTER_OPTIONS, LOGIN_OPTIONS) else FOR_VERIFY
    family = data.draw(st.sampled_from(choices), label="family")
    if path == REGISTER_VERIFY and data.draw(st.integers(0, 3), label="cbor?") == 0:
        family = "cbor"
    body = FAMILIES[family](data.draw, rig, path)
    content_type = data.draw(st.sampled_from(CONTENT_TYPES), label="content-type")
    assume(not verifies_as_is(rig, path, body))
    note(f"{family} body to {path}: {shown(body)}")
    await post_and_check(rig, path, body, content_type)


# --- known malformed answers, one by one -------------------------------------------------------


def with_client_data(rig: Rig, client_data: bytes) -> bytes:
    """The impostor login answer with ``client_data`` as its clientDataJSON."""
    credential = copy.deepcopy(rig.login_answer)
    credential["response"]["clientDataJSON"] = b64url_encode(client_data)
    return wrap(LOGIN_VERIFY, credential, None)


def login_client_data(rig: Rig, challenge: str) -> bytes:
    document = {"type": "webauthn.get", "challenge": challenge, "origin": rig.origin}
    return json.dumps(document, ensure_ascii=False).encode()


async def valid_registration(rig: Rig, name: str) -> tuple[str, dict[str, Any]]:
    """A fresh invite and a valid answer to its registration challenge."""
    token = await new_invite(rig.auth, name)
    options = await registration_options(rig.client, token)
    return token, SoftAuthenticator().create(options, origin=rig.origin)


async def nested_body(rig: Rig) -> tuple[str, bytes]:
    return LOGIN_VERIFY, b'{"credential": {"x": ' + b"[" * 3000 + b"]" * 3000 + b"}}"


async def challenge_not_base64(rig: Rig) -> tuple[str, bytes]:
    return LOGIN_VERIFY, with_client_data(rig, login_client_data(rig, "a"))


async def challenge_not_ascii(rig: Rig) -> tuple[str, bytes]:
    return LOGIN_VERIFY, with_client_data(rig, login_client_data(rig, "é"))


async def nested_client_data(rig: Rig) -> tuple[str, bytes]:
    return LOGIN_VERIFY, with_client_data(rig, b"[" * 3000 + b"]" * 3000)


async def transports_not_a_list(rig: Rig) -> tuple[str, bytes]:
    token, credential = await valid_registration(rig, "Transports Five")
    credential["response"]["transports"] = 5
    return REGISTER_VERIFY, wrap(REGISTER_VERIFY, credential, token)


async def credential_id_taken(rig: Rig) -> tuple[str, bytes]:
    """A valid registration answer whose credential id is the registered owner's."""
    token, credential = await valid_registration(rig, "Credential Thief")
    statement = cbor2.loads(b64url_decode(credential["response"]["attestationObject"]))
    rp_hash, flags, count, aaguid, _, cose, rest = split_auth_data(statement["authData"])
    taken = rig.owner_credential_id
    statement["authData"] = (
        (rp_hash + bytes([flags]) + count + aaguid + len(taken).to_bytes(2, "big") + taken)
        + cose
        + rest
    )
    credential["response"]["attestationObject"] = b64url_encode(cbor2.dumps(statement))
    credential["id"] = credential["rawId"] = b64url_encode(taken)
    return REGISTER_VERIFY, wrap(REGISTER_VERIFY, credential, token)


# case -> (body builder, may it succeed?, where the bug is and how to fix it)
KNOWN_CASES: dict[str, tuple[Callable[[Rig], Any], bool, str]] = {
    "deeply-nested-body": (
        nested_body,
        False,
        "server/auth/routes.py:70 `_decode` catches only msgspec.DecodeError/ValidationError; "
        "msgspec raises RecursionError for JSON nested ~1000 deep (3 KB suffices). Fix: catch "
        "RecursionError there too and answer bad_payload.",
    ),
    "challenge-not-base64url": (
        challenge_not_base64,
        False,
        "server/auth/passkeys.py:93 `_client_challenge` decodes the challenge outside its "
        "try block: a challenge of bad length ('a') raises binascii.Error. Fix: move that "
        "line into the try (its except already lists binascii.Error and ValueError).",
    ),
    "challenge-not-ascii": (
        challenge_not_ascii,
        False,
        "server/auth/passkeys.py:93 `_client_challenge`: a non-ASCII challenge ('é') raises "
        "UnicodeEncodeError in `_unb64`, outside the try. Same fix as above.",
    ),
    "deeply-nested-client-data": (
        nested_client_data,
        False,
        "server/auth/passkeys.py:87 `_client_challenge`: json.loads of a deeply nested "
        "clientDataJSON raises RecursionError, missing from the except at line 89. Fix: add "
        "RecursionError to that tuple.",
    ),
    "transports-not-a-list": (
        transports_not_a_list,
        True,
        "server/auth/passkeys.py:183-190 `register`: after a successful check, "
        "`response.transports` (ignored by py_webauthn unless it is a list) is iterated; an "
        "int raises TypeError and the whole registration fails with 500. Fix: use it only "
        "when it is a list (`if not isinstance(transports, list): transports = []`).",
    ),
    "credential-id-already-registered": (
        credential_id_taken,
        False,
        "server/auth/passkeys.py:184 `register` inserts the credential without checking "
        "that its id is new; the UNIQUE constraint on webauthn_credential.credential_id "
        "raises IntegrityError and the answer is 500. Fix: look the id up inside the "
        "transaction and raise AuthError('credential_taken', ..., 400/409) when it exists.",
    ),
}


@pytest.mark.parametrize("case", list(KNOWN_CASES))
async def test_known_malformed_answer_is_refused_cleanly(rig: Rig, case: str) -> None:
    """Answers that once crashed the server get a 4xx JSON error and change nothing."""
    build, may_succeed, diagnosis = KNOWN_CASES[case]
    path, body = await build(rig)
    before = await rig.rows.dump()
    response = await rig.client.post(
        path, content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code < 500, (
        f"BUG ({case}): {path} answered {response.status_code}. {diagnosis}"
    )
    if may_succeed and response.status_code == 200:
        return  # a valid passkey with an odd extra field: registering is right
    assert 400 <= response.status_code < 500, response.text
    assert isinstance(response.json().get("error"), str), response.text
    assert row_changes(before, await rig.rows.dump()) == []


async def test_body_over_the_framework_limit_is_413(rig: Rig) -> None:
    """Past BODY_LIMIT Litestar refuses the body itself (413) before the route runs."""
    for path in ENDPOINTS:
        response = await rig.client.post(
            path, content=b"A" * (BODY_LIMIT + 1), headers={"content-type": "application/json"}
        )
        assert response.status_code == 413, (path, response.status_code)
    assert row_changes(rig.before, await rig.rows.dump()) == []
