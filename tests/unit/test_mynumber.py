"""The My Number guard (server/common/mynumber.py) against shared vectors, generated texts
(tests/support/py) and an independent oracle."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings

from server.common.mynumber import (
    MESSAGE_EN,
    MESSAGE_JA,
    MyNumberRefused,
    check_digit,
    contains_my_number,
    guard_text,
)
from tests.support.mynumber_samples import (
    ASCII_DIGITS,
    NEAR_MISS_KINDS,
    SAMPLES,
    SEED,
    SPEC_SEPARATORS,
    VALID_FORMS,
    generate_near_misses,
    generate_valid,
    load_vectors,
    near_miss_samples,
    random_digits,
    seeded,
    texts_with_digits,
    valid_samples,
)


def separated_runs(text: str) -> list[list[str]]:
    """Oracle: the digit groups of each maximal separated run, by walking characters."""
    normalized = unicodedata.normalize("NFKC", text)
    runs: list[list[str]] = []
    groups: list[str] = []
    current = ""
    index = 0
    while index < len(normalized):
        char = normalized[index]
        if char in ASCII_DIGITS:
            current += char
            index += 1
            continue
        gap = 0  # separators in a row from here
        while index + gap < len(normalized) and normalized[index + gap] in SPEC_SEPARATORS:
            gap += 1
        after = index + gap
        if (
            current
            and 1 <= gap <= 3
            and after < len(normalized)
            and normalized[after] in "0123456789"
        ):
            groups.append(current)  # 1 to 3 separators between two digits: the run goes on
        elif current:
            runs.append([*groups, current])
            groups = []
        current = ""
        index = max(after, index + 1)
    if current:
        runs.append([*groups, current])
    return runs


def four_digit_streaks(run: list[str]) -> list[list[str]]:
    """Oracle: the maximal streaks of consecutive 4-digit groups of a run."""
    streaks: list[list[str]] = [[]]
    for group in run:
        if len(group) == 4:
            streaks[-1].append(group)
        elif streaks[-1]:
            streaks.append([])
    return [streak for streak in streaks if streak]


def oracle_refuses(text: str) -> bool:
    """Oracle: a group of exactly 12 with a valid check digit, or a streak of 3, 6, 9, …
    4-digit groups in which some aligned 4-4-4 has one."""

    def valid(digits: str) -> bool:
        return check_digit(digits[:11]) == int(digits[11])

    runs = separated_runs(text)
    return any(len(group) == 12 and valid(group) for run in runs for group in run) or any(
        len(streak) % 3 == 0 and valid("".join(streak[first : first + 3]))
        for run in runs
        for streak in four_digit_streaks(run)
        for first in range(0, len(streak), 3)
    )


def test_check_digit_known_values() -> None:
    """check_digit gives the hand-computed digit for known prefixes, including r = 0 and r = 1."""
    # Weights Q_n, n counted from the right: 2 3 4 5 6 7 2 3 4 5 6 (n = 1..11).
    # 12345678901 from the right is 1 0 9 8 7 6 5 4 3 2 1:
    #   1·2 + 0·3 + 9·4 + 8·5 + 7·6 + 6·7 + 5·2 + 4·3 + 3·4 + 2·5 + 1·6 = 212;
    #   212 mod 11 = 3, so the check digit is 11 − 3 = 8 (123456789018 is the usual example).
    assert check_digit("12345678901") == 8
    # 98765432109 from the right is 9 0 1 2 3 4 5 6 7 8 9:
    #   18 + 0 + 4 + 10 + 18 + 28 + 10 + 18 + 28 + 40 + 54 = 228; 228 mod 11 = 8 → 3.
    assert check_digit("98765432109") == 3
    # 24681357902: 4 + 0 + 36 + 35 + 30 + 21 + 2 + 24 + 24 + 20 + 12 = 208; mod 11 = 10 → 1.
    assert check_digit("24681357902") == 1
    # All ones: the weights sum to 47; 47 mod 11 = 3 → 8.
    assert check_digit("11111111111") == 8
    # All zeros: r = 0 ≤ 1 → 0.
    assert check_digit("00000000000") == 0
    # Only P_1 = 6: 6·2 = 12, r = 1 ≤ 1 → 0 (never 10).
    assert check_digit("00000000006") == 0
    # Only P_11 = 1: weight 6, r = 6 → 5.
    assert check_digit("10000000000") == 5


@pytest.mark.parametrize(
    "bad", ["", "1234567890", "123456789012", "1234567890a", "１２３４５６７８９０１"]
)
def test_check_digit_refuses_anything_but_11_ascii_digits(bad: str) -> None:
    """check_digit raises ValueError unless given exactly 11 ASCII digits, without echoing them."""
    with pytest.raises(ValueError) as raised:
        check_digit(bad)
    assert str(raised.value) == "check_digit needs exactly 11 ASCII digits"


def test_check_digit_is_always_one_digit() -> None:
    """Every remainder maps to a single digit 0-9 (r = 0 or 1 gives 0, never 10 or 11)."""
    rng = seeded(SEED)
    assert {check_digit(random_digits(rng, 11)) for _ in range(2_000)} == set(range(10))


@pytest.mark.parametrize(
    "vector", load_vectors(), ids=lambda v: v["why"][:40] if isinstance(v, dict) else str(v)
)
def test_vectors(vector: dict[str, Any]) -> None:
    """Each hand-written vector gets the verdict written next to it."""
    assert contains_my_number(vector["text"]) is vector["refused"], vector["why"]


def test_vectors_cover_both_verdicts_and_are_well_formed() -> None:
    """The vector file is a list of {text, refused, why} with both verdicts represented."""
    vectors = load_vectors()
    assert all(set(v) == {"text", "refused", "why"} for v in vectors)
    assert all(isinstance(v["refused"], bool) and v["why"] for v in vectors)
    assert {v["refused"] for v in vectors} == {True, False}
    assert len({v["text"] for v in vectors}) == len(vectors), "no duplicate texts"


@pytest.mark.parametrize("form", VALID_FORMS)
def test_generated_valid_numbers_are_refused(form: str) -> None:
    """10,000 valid My Numbers written in this form are all refused."""
    samples = valid_samples(form)
    assert len(samples) == SAMPLES
    missed = [text for text in samples if not contains_my_number(text)]
    assert missed == []


@pytest.mark.parametrize("kind", NEAR_MISS_KINDS)
def test_generated_near_misses_are_accepted(kind: str) -> None:
    """10,000 near misses of this kind are all accepted."""
    samples = near_miss_samples(kind)
    assert len(samples) == SAMPLES
    wrongly_refused = [text for text in samples if contains_my_number(text)]
    assert wrongly_refused == []


def test_generators_agree_with_the_oracle() -> None:
    """Generated texts are what they claim: the oracle refuses each valid one, no near miss."""
    rng = seeded(SEED + 1_000)
    assert all(oracle_refuses(text) for text in generate_valid(rng, 2_000))
    assert not any(oracle_refuses(text) for text in generate_near_misses(rng, 2_000))


def test_generators_are_reproducible() -> None:
    """The same seed gives the same texts, so the browser test sees the same cases."""
    assert generate_valid(seeded(7), 50) == generate_valid(seeded(7), 50)
    assert generate_near_misses(seeded(7), 50) == generate_near_misses(seeded(7), 50)


@pytest.mark.slow
@settings(max_examples=1_000, database=None)
@given(texts_with_digits)
def test_verdict_matches_the_oracle(text: str) -> None:
    """Text is refused exactly when the independent oracle refuses it."""
    assert contains_my_number(text) is oracle_refuses(text)


def test_guard_text_passes_clean_and_absent_values() -> None:
    """guard_text returns quietly for None, empty text, and text without a My Number."""
    guard_text("note", None)
    guard_text("note", "")
    guard_text("note", "TEL 0798-35-3109、来場者12名")


def test_guard_text_refuses_without_repeating_the_number() -> None:
    """A refusal names the field and carries both messages, never the number itself."""
    with pytest.raises(MyNumberRefused) as raised:
        guard_text("incident.description", "番号は１２３４ ５６７８ ９０１８です")
    refused = raised.value
    assert isinstance(refused, ValueError)
    assert refused.field == "incident.description"
    assert refused.message_ja == MESSAGE_JA
    assert refused.message_en == MESSAGE_EN
    assert str(refused) == f"incident.description: {MESSAGE_EN}"
    for shown in (str(refused), repr(refused), *map(str, refused.args)):
        assert "9018" not in shown and "９０１８" not in shown
    assert refused.__cause__ is None and refused.__context__ is None


def test_messages_are_the_agreed_wording() -> None:
    """The Japanese and English messages are exactly the wording the spec asks for."""
    assert MESSAGE_JA == (
        "個人番号（マイナンバー）と思われる12桁の番号が含まれているため、保存できません。"
        "個人番号は入力しないでください。"
    )
    assert MESSAGE_EN == (
        "This looks like a My Number (12 digits with a valid check digit), so it was not saved."
        " Never enter a My Number."
    )
