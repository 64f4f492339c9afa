"""The My Number guard in Chromium (static/js/mynumber.js) agrees with the server's."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from server.common.mynumber import MESSAGE_EN, MESSAGE_JA, check_digit, contains_my_number
from tests.support import mynumber_samples as samples

pytestmark = pytest.mark.browser

CONTAINS = (
    "async (cases) => { const m = await import('/static/js/mynumber.js');"
    " return cases.map(c => m.containsMyNumber(c)); }"
)
CHECK_DIGIT = (
    "async (prefixes) => { const m = await import('/static/js/mynumber.js');"
    " return prefixes.map(p => m.checkDigit(p)); }"
)
MESSAGES = (
    "async () => { const m = await import('/static/js/mynumber.js');"
    " return [m.MESSAGE_JA, m.MESSAGE_EN]; }"
)


def browser_verdicts(tab: Any, cases: list[str]) -> list[bool]:
    """containsMyNumber for each case, computed in the page by the real ES module."""
    verdicts: list[bool] = tab.evaluate(CONTAINS, cases)
    assert len(verdicts) == len(cases)
    return verdicts


def test_vectors_agree_with_the_file_and_python(page: tuple[Any, Any]) -> None:
    """Every shared vector gets the file's verdict in the browser, the same as in Python."""
    tab, problems = page
    tab.goto("/")
    vectors = samples.load_vectors()
    verdicts = browser_verdicts(tab, [v["text"] for v in vectors])
    disagreements = [
        (v["why"], browser, contains_my_number(v["text"]))
        for v, browser in zip(vectors, verdicts, strict=True)
        if not (browser is v["refused"] is contains_my_number(v["text"]))
    ]
    assert disagreements == []
    assert problems.all() == []


def expect_every_verdict(
    page: tuple[Any, Any],
    label: str,
    groups: tuple[str, ...],
    sampler: Callable[[str], list[str]],
    *,
    refused: bool,
) -> None:
    """The browser gives each group's samples (the unit tests', same seeds) the verdict
    ``refused``, timing each group, and the page reports no problem."""
    tab, problems = page
    tab.goto("/")
    for group in groups:
        cases = sampler(group)
        assert len(cases) == samples.SAMPLES
        started = time.perf_counter()
        verdicts = browser_verdicts(tab, cases)
        seconds = time.perf_counter() - started
        print(f"browser {label} {group}: {samples.SAMPLES} in {seconds:.3f}s")
        wrong = [case for case, verdict in zip(cases, verdicts, strict=True) if verdict != refused]
        assert wrong == [], group
    assert problems.all() == []


def test_generated_valid_numbers_are_refused_in_the_browser(page: tuple[Any, Any]) -> None:
    """The unit tests' 10,000 valid numbers per form (same seeds) are all refused in Chromium."""
    expect_every_verdict(page, "valid", samples.VALID_FORMS, samples.valid_samples, refused=True)


def test_generated_near_misses_are_accepted_in_the_browser(page: tuple[Any, Any]) -> None:
    """The unit tests' 10,000 near misses per kind (same seeds) are all accepted in Chromium."""
    expect_every_verdict(
        page, "near misses", samples.NEAR_MISS_KINDS, samples.near_miss_samples, refused=False
    )


def mixed_texts(count: int) -> list[str]:
    """Valid numbers, near misses, digits and separators glued together at random, so runs
    join across the pieces in ways no generator names."""
    rng = samples.seeded(samples.SEED + 3_000)
    pieces = [
        *samples.generate_valid(rng, 500),
        *samples.generate_near_misses(rng, 500),
        *(samples.random_digits(rng, n) for n in (1, 3, 4, 4, 4, 8, 12)),
        *samples.TYPED_SEPARATORS,
        *samples.SEPARATOR_SEQUENCES,
        *samples.RUN_BREAKS,
        *samples.EVERYDAY,
        *samples.OTHER_DIGITS,
    ]
    return ["".join(rng.choices(pieces, k=rng.randint(1, 5))) for _ in range(count)]


def test_mixed_texts_get_the_same_verdict_as_python(page: tuple[Any, Any]) -> None:
    """On 5,000 glued-together texts the browser refuses exactly what Python refuses."""
    tab, problems = page
    tab.goto("/")
    cases = mixed_texts(5_000)
    expected = [contains_my_number(case) for case in cases]
    assert {True, False} <= set(expected)
    verdicts = browser_verdicts(tab, cases)
    disagreements = [case for case, a, b in zip(cases, verdicts, expected, strict=True) if a != b]
    assert disagreements == []
    assert problems.all() == []


def test_check_digit_agrees_with_python(page: tuple[Any, Any]) -> None:
    """checkDigit in the browser equals Python's check_digit on 1,000 random 11-digit prefixes."""
    tab, problems = page
    tab.goto("/")
    rng = samples.seeded(samples.SEED + 2_000)
    prefixes = [samples.random_digits(rng, 11) for _ in range(1_000)]
    assert tab.evaluate(CHECK_DIGIT, prefixes) == [check_digit(p) for p in prefixes]
    assert problems.all() == []


def test_messages_match_python(page: tuple[Any, Any]) -> None:
    """The browser's MESSAGE_JA and MESSAGE_EN are word for word the server's."""
    tab, problems = page
    tab.goto("/")
    assert tab.evaluate(MESSAGES) == [MESSAGE_JA, MESSAGE_EN]
    assert problems.all() == []
