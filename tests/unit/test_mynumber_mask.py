"""mask_my_numbers: what the guard refuses is hidden digit by digit, nothing else changes."""

from __future__ import annotations

import unicodedata
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.common.mynumber import contains_my_number, mask_my_numbers
from tests.support.mynumber_samples import (
    VALID_FORMS,
    load_vectors,
    texts_with_digits,
    valid_samples,
)

VECTORS = load_vectors()


def digit_char(char: str) -> bool:
    """Whether NFKC turns ``char`` into something holding an ASCII digit."""
    return any(c in "0123456789" for c in unicodedata.normalize("NFKC", char))


def assert_only_digits_masked(text: str, masked: str) -> None:
    """Same length; every changed character was a digit and is now ``*``."""
    assert len(masked) == len(text)
    for before, after in zip(text, masked, strict=True):
        assert after == before or (after == "*" and digit_char(before)), (before, after)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["why"][:40])
def test_vectors_are_masked_exactly_when_refused(vector: dict[str, Any]) -> None:
    """A refused vector loses its number and nothing else; an accepted one is left alone."""
    text = vector["text"]
    masked = mask_my_numbers(text)
    assert_only_digits_masked(text, masked)
    assert not contains_my_number(masked)
    assert (masked != text) is vector["refused"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("番号は0578-3086-2716です", "番号は****-****-****です"),
        ("０５７８\u3000３０８６\u3000２７１６", "****\u3000****\u3000****"),
        ("0578ー3086－2716", "****ー****－****"),
        ("057830862716 5", "************ 5"),
        ("06-057830862716", "06-************"),
        ("0578 3086 2716、1234 5678 9018", "**** **** ****、**** **** ****"),
        ("０５７８ 3086 ２７１６  5", "**** **** ****  5"),
        ("㉑3456789017番", "***********番"),  # ㉑ is two digits but one character
        ("0578 3086 2716 5", "**** **** **** 5"),
        ("2026-12-03 0578 3086 2716", "2026-12-03 **** **** ****"),
        ("12/3 ０５７８ - ３０８６ - ２７１６ 5名", "12/3 **** - **** - **** 5名"),
        ("No.1 0578-3086-2716", "No.1 ****-****-****"),
        ("0578/3086/2716", "****/****/****"),
        # A streak of six is two 4-4-4: only the valid one is masked.
        ("0578 3086 2716 1234 5678 9017", "**** **** **** 1234 5678 9017"),
        ("0578 3086 2716 1234 5678 9018", "**** **** **** **** **** ****"),
        ("整理券 106 107 108 109 の方", "整理券 106 107 108 109 の方"),
        ("0578-3086-2716-0000", "0578-3086-2716-0000"),
        # Masking the 12 leaves 1234-5678-9018 as a run of its own, which is refused too.
        ("1234-5678-9018-057830862716", "****-****-****-************"),
    ],
)
def test_masked_forms(text: str, expected: str) -> None:
    """Hand-checked results: digits become ``*`` one for one, separators and text stay."""
    assert mask_my_numbers(text) == expected


def op_json(text: str) -> str:
    """A refused op as the server keeps it: msgspec's JSON with ``text`` in a string field."""
    op = {
        "op_type": "site.add_venue",
        "seq": 7,
        "payload": {"name_ja": text, "site_id": 57830862716, "count": 12},
    }
    return msgspec.json.encode(op).decode()


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["why"][:40])
def test_json_of_an_op_is_masked_like_its_field(vector: dict[str, Any]) -> None:
    """In an op's JSON the string field is masked as on its own and the rest is untouched."""
    encoded = op_json(vector["text"])
    masked = mask_my_numbers(encoded)
    assert not contains_my_number(masked)
    assert (masked != encoded) is vector["refused"]
    decoded = msgspec.json.decode(masked)
    assert decoded["payload"] == {
        "name_ja": mask_my_numbers(vector["text"]),
        "site_id": 57830862716,  # 11 digits: not a My Number, kept
        "count": 12,
    }


def test_full_width_digits_in_json_are_raw_and_masked() -> None:
    """msgspec writes full-width digits as UTF-8, not \\u escapes, and they are masked."""
    encoded = op_json("番号は０５７８－３０８６－２７１６")
    assert "０５７８" in encoded
    assert "****－****－****" in mask_my_numbers(encoded)


def test_a_refused_bare_json_number_is_masked_too() -> None:
    """A 12-digit JSON integer with a valid check digit is refused, so it is masked (the JSON
    then no longer parses); an 11-digit one is kept."""
    assert mask_my_numbers('{"n":57830862716}') == '{"n":57830862716}'
    assert mask_my_numbers('{"n":123456789018}') == '{"n":************}'


@pytest.mark.parametrize("form", VALID_FORMS)
def test_generated_numbers_are_all_masked(form: str) -> None:
    """Each of the 10,000 generated valid texts of this form is masked to no My Number."""
    for text in valid_samples(form):
        masked = mask_my_numbers(text)
        assert masked != text
        assert not contains_my_number(masked), form


@pytest.mark.slow
@settings(max_examples=1_000, database=None)
@given(st.one_of(texts_with_digits, st.text()))
def test_mask_leaves_no_number_and_changes_nothing_else(text: str) -> None:
    """For any text the masked text holds no My Number, differs only in masked digits, and
    equals the text when there was none."""
    masked = mask_my_numbers(text)
    assert not contains_my_number(masked)
    assert_only_digits_masked(text, masked)
    if not contains_my_number(text):
        assert masked == text
    assert mask_my_numbers(masked) == masked
