"""Every text field of every input is guarded free text, a strict shape or a choice.

The inputs are found from the app itself: each unsafe route's ``data`` type (JSON bodies
and forms, every op and payload through the ``Op`` union) plus the bodies routes read by
hand (``tests.support.input_fields.HAND_DECODED``, kept complete here). A ``str`` that is
none of those would store whatever is sent, a My Number included (issue 16, point 5).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import msgspec
import pytest
from litestar import Litestar

from server.app import create_app
from server.common.text import NO_CONTROL, FreeText, Uuid, free_text_fields
from server.settings import Settings
from tests.support.input_fields import HAND_DECODED, TextField, input_structs, text_fields

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "mynumber.json"
# Shaped fields whose shape admits digits on purpose, and why no My Number is kept from them.
DIGITS_ALLOWED = {
    "Credential.id": "the authenticator's id (base64url); only the verified one is stored",
    "Credential.rawId": "the same id, raw; only the verified one is stored",
    "CredentialResponse.clientDataJSON": "base64url JSON read for its challenge, never stored",
    "CredentialResponse.attestationObject": "base64url CBOR, checked, never stored",
    "CredentialResponse.authenticatorData": "base64url bytes, checked, never stored",
    "CredentialResponse.signature": "base64url bytes, checked, never stored",
    "CredentialResponse.userHandle": "base64url, compared with the stored handle",
    "RegisterOptionsIn.token": "an invite token: 43 base64url characters, only its digest used",
    "RegisterVerifyIn.token": "an invite token: 43 base64url characters, only its digest used",
    "LanguageForm.next": "where to go back to: never stored or logged",
}


@pytest.fixture(scope="module")
def app() -> Litestar:
    """The app as it is built in production (routes only; nothing is opened)."""
    return create_app(Settings.from_env())


@pytest.fixture(scope="module")
def fields(app: Litestar) -> list[TextField]:
    """Every text field of every input struct of the app."""
    structs = {s for found in input_structs(app).values() for s in found}
    return [field for struct in structs for field in text_fields(struct)]


def refused_vectors() -> list[str]:
    """The shared vectors the guard refuses (tests/vectors/mynumber.json)."""
    return [v["text"] for v in json.loads(VECTORS.read_text()) if v["refused"]]


def test_every_text_field_is_guarded_shaped_or_a_choice(fields: list[TextField]) -> None:
    """No input field is a bare ``str``, an ``Any`` or a pattern-less annotated ``str``."""
    unchecked = sorted(
        {f"{f.label} ({f.root.__qualname__} {f.path})" for f in fields if f.kind == "unchecked"}
    )
    assert not unchecked, "text fields with no guard and no shape:\n" + "\n".join(unchecked)


def test_free_text_fields_are_the_ones_the_guard_runs_on(fields: list[TextField]) -> None:
    """Each ``FreeText`` field is named by ``free_text_fields`` (what the guard walks)."""
    missed = sorted(
        {f.label for f in fields if f.kind == "free" and f.name not in free_text_fields(f.owner)}
    )
    assert not missed, f"FreeText nested where free_text_fields cannot see it: {missed}"


def test_shapes_refuse_every_my_number(fields: list[TextField]) -> None:
    """A shaped field's pattern matches none of the refused vectors (unless declared above)."""
    vectors = refused_vectors()
    assert vectors
    admitted = sorted(
        {
            f"{f.label} /{f.pattern}/ admits {text!r}"
            for f in fields
            if f.kind == "shape" and f.label not in DIGITS_ALLOWED and f.pattern
            for text in vectors
            if re.search(f.pattern, text)
        }
    )
    assert not admitted, "\n".join(admitted)


def test_hand_decoded_routes_are_declared_and_exist(app: Litestar) -> None:
    """Every unsafe route without a typed body is declared, and every declared one exists."""
    found = input_structs(app)  # fails naming any undeclared route
    stale = sorted(set(HAND_DECODED) - set(found))
    assert not stale, f"HAND_DECODED names routes the app no longer has: {stale}"


def test_digit_exceptions_name_real_shaped_fields(fields: list[TextField]) -> None:
    """Each field allowed digits above is still an input field with a shape."""
    shaped = {f.label for f in fields if f.kind == "shape"}
    assert set(DIGITS_ALLOWED) <= shaped, sorted(set(DIGITS_ALLOWED) - shaped)


class _Inner(msgspec.Struct):
    ok: FreeText
    bad: str


class _Other(msgspec.Struct, tag="other"):
    id: Uuid
    note: Annotated[str, msgspec.Meta(pattern=NO_CONTROL)]  # controls only: no guard


class _Outer(msgspec.Struct):
    items: list[_Inner | None]
    more: dict[str, int]
    loose: dict[int, object]
    union: _Other | None = None


def test_the_walk_finds_an_unguarded_field_anywhere() -> None:
    """The walk itself: a bare str deep in a union, a list, a dict or an Any is found."""
    kinds = {(f.label, f.kind) for f in text_fields(_Outer)}
    assert ("_Inner.bad", "unchecked") in kinds
    assert ("_Inner.ok", "free") in kinds
    assert ("_Other.id", "shape") in kinds
    assert ("_Other.note", "unchecked") in kinds
    assert ("_Outer.more (key)", "unchecked") in kinds
    assert ("_Outer.loose", "unchecked") in kinds
