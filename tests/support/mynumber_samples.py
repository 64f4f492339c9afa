"""Texts for the My Number guard's tests: generators with fixed seeds and the shared vectors.

``generate_valid(rng, n)`` and ``generate_near_misses(rng, n)`` return texts that must be
refused and texts that must be accepted; ``valid_samples`` and ``near_miss_samples`` give the
exact lists the unit tests use (fixed seeds), so the browser test runs the same cases in
Chromium. ``texts_with_digits`` is the Hypothesis strategy the property tests share.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from server.common.mynumber import check_digit

VECTORS_PATH = Path(__file__).resolve().parents[1] / "vectors" / "mynumber.json"
SEED = 20240512
SAMPLES = 10_000

# The spec's separators, typed again here (not imported) so the oracle below is independent.
SPEC_SEPARATORS = (
    " -./\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2e3a\u2e3b\u2500\u2501\u30fc\uff70\u3000"
)
# What people type: the spec's separators plus the forms NFKC folds into them.
TYPED_SEPARATORS = SPEC_SEPARATORS + "\uff0d\uff0e\u00a0\u2002\u202f\ufe63\ufe58\ufe31\ufe32\uff0f"
# Two or three separators in a row still join groups (after NFKC each is one character).
SEPARATOR_SEQUENCES = (
    "  ",
    "--",
    "..",
    " -",
    "- ",
    " - ",
    " / ",
    "ーー",
    " ー ",
    "\u3000 ",
    "\u3000－\u3000",
    "－－",
    "\u2013\u2013",
    ". ",
    "／ ",
)
# What ends a run: four or more separators in a row, or any other character.
RUN_BREAKS = (
    "    ",
    " - - ",
    "\u3000\u3000\u3000\u3000",
    "、",
    ",",
    "\n",
    "・",
    "〜",
    ":",
    "号",
    "（",
)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ASCII_DIGITS = "0123456789"

# Text around an embedded number. A prefix never ends in a digit or a separator after a digit,
# a suffix never starts with a digit or a separator before a digit, so the run stays the same.
PREFIXES = (
    "",
    "個人番号は",
    "お客様のマイナンバー：",
    "番号 ",
    "No.",
    "ID:",
    "（",
    "「",
    "メモ\n",
    "令和6年5月12日、来場者から聞いた番号",
    "TEL 0798-35-3109 の方、番号は",
    "my number is ",
    "申請書に",
)
SUFFIXES = (
    "",
    "です。",
    " です",
    "）",
    "」と言われた",
    "。",
    " ok",
    "\n以上",
    "の件、10時に再来。",
    "番の方",
    " (2024-05-12)",
    "を控えた",
)

VALID_FORMS = ("plain", "fullwidth", "separated", "joined", "embedded")
NEAR_MISS_KINDS = (
    "wrong_check",
    "eleven",
    "thirteen",
    "inside_longer",
    "broken_run",
    "split_short",
    "everyday",
)
# Groups that may stand joined beside a 4-4-4 (never 4 digits, never 12): dates, counts, hours.
NEIGHBOUR_LENGTHS = (1, 2, 3, 5, 6, 8)
# Numbers of daily notes, written so that no three 4-digit groups ever meet when joined:
# each 4-digit group stands at an end, next to a shorter group.
EVERYDAY = (
    "2026/12/03",
    "2026-12-03",
    "2026.12.03",
    "12/3",
    "10:00",
    "10:00-16:00",
    "0798-35-3109",
    "0120-123-456",
    "〒662-8567",
    "106 107 108 109",
    "12名",
    "No.1",
    "第3窓口",
)


def seeded(seed: int) -> random.Random:
    """A reproducible random source (test data, not secrets)."""
    return random.Random(seed)  # noqa: S311


def valid12(rng: random.Random) -> str:
    """Twelve ASCII digits with the right check digit."""
    first11 = "".join(rng.choice(ASCII_DIGITS) for _ in range(11))
    return first11 + str(check_digit(first11))


def random_digits(rng: random.Random, count: int) -> str:
    """``count`` random ASCII digits."""
    return "".join(rng.choice(ASCII_DIGITS) for _ in range(count))


def separator(rng: random.Random) -> str:
    """What joins two groups: mostly one separator, sometimes two or three (" - ")."""
    if rng.random() < 0.75:
        return rng.choice(TYPED_SEPARATORS)
    return rng.choice(SEPARATOR_SEQUENCES)


def join_groups(rng: random.Random, digits: str, gaps: set[int]) -> str:
    """``digits`` with a separator (each drawn on its own, so kinds mix) at each gap."""
    return "".join(
        (separator(rng) if index in gaps else "") + digit for index, digit in enumerate(digits)
    )


def separate(rng: random.Random, digits: str) -> str:
    """Groups of four from the left, like 1234 5678 9018, joined by 1 to 3 separators."""
    return join_groups(rng, digits, set(range(4, len(digits), 4)))


def neighbours(rng: random.Random) -> str:
    """Up to three groups, none of 4 or 12 digits, joined like a date (2026-12-03, 12/3)."""
    text = random_digits(rng, rng.choice(NEIGHBOUR_LENGTHS))
    for _ in range(rng.randrange(3)):
        text += separator(rng) + random_digits(rng, rng.choice(NEIGHBOUR_LENGTHS))
    return text


def join_beside(rng: random.Random, text: str) -> str:
    """``text`` with short groups joined before it, after it, or both (12/3 0578 3086 2716 5)."""
    side = rng.randrange(3)
    before = neighbours(rng) + separator(rng) if side != 1 else ""
    after = separator(rng) + neighbours(rng) if side != 0 else ""
    return before + text + after


def widen_some(rng: random.Random, text: str) -> str:
    """Full-width all digits, some digits or none."""
    choice = rng.random()
    if choice < 0.3:
        return text.translate(FULL_WIDTH)
    if choice < 0.6:
        return "".join(c.translate(FULL_WIDTH) if rng.random() < 0.5 else c for c in text)
    return text


def render(rng: random.Random, digits: str, form: str) -> str:
    """Write ``digits`` as someone might type them: plain, full-width, separated, separated
    with a date or count joined beside it, or inside other text."""
    if form == "plain":
        return digits
    if form == "fullwidth":
        return digits.translate(FULL_WIDTH)
    if form == "separated":
        return widen_some(rng, separate(rng, digits))
    if form == "joined":
        return widen_some(rng, join_beside(rng, separate(rng, digits)))
    if form == "embedded":
        inner = render(rng, digits, rng.choice(("plain", "fullwidth", "separated", "joined")))
        return rng.choice(PREFIXES) + inner + rng.choice(SUFFIXES)
    raise ValueError(f"unknown form {form!r}")


def render_unjoined(rng: random.Random, digits: str) -> str:
    """Write ``digits`` as one run (plain, full-width, or inside text), never grouped: more
    than 12 digits grouped by four would put a 4-4-4 streak in front (1234 5678 9018 5)."""
    inner = render(rng, digits, rng.choice(("plain", "fullwidth")))
    return rng.choice(PREFIXES) + inner + rng.choice(SUFFIXES) if rng.random() < 0.3 else inner


def cycling(
    rng: random.Random, n: int, make: Callable[[random.Random, str], str], choices: tuple[str, ...]
) -> list[str]:
    """``n`` texts, each ``make(rng, choice)`` with the choice cycling through ``choices``."""
    return [make(rng, choices[index % len(choices)]) for index in range(n)]


def valid_text(rng: random.Random, form: str) -> str:
    """One text of ``form`` that holds a valid My Number."""
    return render(rng, valid12(rng), form)


def generate_valid(rng: random.Random, n: int, form: str | None = None) -> list[str]:
    """``n`` texts that each hold a valid My Number and must be refused, all of ``form``
    (one of ``VALID_FORMS``) or, with None, cycling through every form."""
    return cycling(rng, n, valid_text, (form,) if form else VALID_FORMS)


def near_miss(rng: random.Random, kind: str) -> str:
    """One text of ``kind`` that looks close to a My Number but must be accepted."""
    form = rng.choice(VALID_FORMS)  # "joined" puts only non-4-digit groups beside it
    if kind == "wrong_check":
        digits = valid12(rng)
        wrong = rng.choice([d for d in ASCII_DIGITS if d != digits[11]])
        return render(rng, digits[:11] + wrong, form)
    if kind == "eleven":
        digits = valid12(rng)
        if rng.random() < 0.5:  # a valid number with one digit dropped
            drop = rng.randrange(12)
            return render(rng, digits[:drop] + digits[drop + 1 :], form)
        return render(rng, random_digits(rng, 11), form)
    if kind == "thirteen":
        digits = valid12(rng)
        extra = rng.choice(ASCII_DIGITS)
        return render_unjoined(rng, extra + digits if rng.random() < 0.5 else digits + extra)
    if kind == "inside_longer":  # e.g. a 16-digit card number whose first or last 12 are valid
        total = 16 if rng.random() < 0.5 else rng.randrange(13, 25)
        before = rng.randrange(total - 12 + 1)
        digits = random_digits(rng, before) + valid12(rng) + random_digits(rng, total - 12 - before)
        if 16 <= total < 24 and form in ("separated", "embedded"):  # 4-4-4-4 or 4-4-4-4-4…
            return render(rng, digits, form)
        return render_unjoined(rng, digits)
    if kind == "split_short":  # a valid 12 split into other groups than 4-4-4, like 106 107 …
        digits = valid12(rng)
        gaps = {4, 8}
        while gaps == {4, 8}:
            gaps = set(rng.sample(range(1, 12), rng.randint(1, 6)))
        joined = widen_some(rng, join_groups(rng, digits, gaps))
        return (
            rng.choice(PREFIXES) + joined + rng.choice(SUFFIXES) if form == "embedded" else joined
        )
    if kind == "broken_run":  # a valid 12 cut in two by what ends a run
        digits = valid12(rng)
        cut = rng.randrange(1, 12)
        left = render(rng, digits[:cut], rng.choice(("plain", "fullwidth", "separated")))
        right = render(rng, digits[cut:], rng.choice(("plain", "fullwidth", "separated")))
        joined = left + rng.choice(RUN_BREAKS) + right
        return (
            rng.choice(PREFIXES) + joined + rng.choice(SUFFIXES) if form == "embedded" else joined
        )
    if kind == "everyday":  # dates, hours, phone numbers and counts joined every which way
        joined = separator(rng).join(rng.choices(EVERYDAY, k=rng.randint(2, 5)))
        return widen_some(rng, joined)
    raise ValueError(f"unknown near-miss kind {kind!r}")


def generate_near_misses(rng: random.Random, n: int, kind: str | None = None) -> list[str]:
    """``n`` texts that look close to a My Number but must be accepted, all of ``kind`` (one
    of ``NEAR_MISS_KINDS``) or, with None, cycling through every kind."""
    return cycling(rng, n, near_miss, (kind,) if kind else NEAR_MISS_KINDS)


def valid_samples(form: str) -> list[str]:
    """The 10,000 valid texts of ``form`` that the tests here and in the browser use."""
    return generate_valid(seeded(SEED + VALID_FORMS.index(form)), SAMPLES, form)


def near_miss_samples(kind: str) -> list[str]:
    """The 10,000 near misses of ``kind`` that the tests here and in the browser use."""
    return generate_near_misses(seeded(SEED + 100 + NEAR_MISS_KINDS.index(kind)), SAMPLES, kind)


def load_vectors() -> list[dict[str, Any]]:
    """The shared hand-written vectors."""
    vectors: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    return vectors


DIGIT_CHARS = st.sampled_from(ASCII_DIGITS + "０１２３４５６７８９")


# Characters NFKC turns into digits beyond the full-width ones (㉑ becomes two).
OTHER_DIGITS = ("①", "⓪", "㉑", "⑴", "⒈", "¹", "𝟗")


@st.composite
def digit_run(draw: st.DrawFn) -> str:
    """Digits (ASCII or full-width), often a valid 12 or 4-4-4, in groups joined by one to
    three separators or cut by what ends a run."""
    if draw(st.booleans()):  # a valid My Number, so both verdicts are common
        first11 = draw(st.text(ASCII_DIGITS, min_size=11, max_size=11))
        digits = [*first11, str(check_digit(first11))]
    else:
        length = draw(st.one_of(st.integers(1, 30), st.sampled_from([4, 8, 11, 12, 13, 16])))
        digits = [draw(DIGIT_CHARS) for _ in range(length)]
    if draw(st.booleans()):  # groups of four, or four and a bit
        gaps = set(range(4, len(digits), 4))
    else:
        gaps = draw(st.sets(st.integers(1, max(1, len(digits) - 1)), max_size=6))
    chars: list[str] = []
    for index, digit in enumerate(digits):
        if index in gaps:
            chars.append(
                draw(st.sampled_from([*TYPED_SEPARATORS, *SEPARATOR_SEQUENCES, *RUN_BREAKS]))
            )
        chars.append(digit.translate(FULL_WIDTH) if draw(st.integers(0, 4)) == 0 else digit)
    return "".join(chars)


texts_with_digits = st.lists(
    st.one_of(
        digit_run(),
        st.text(max_size=8),
        st.sampled_from(SPEC_SEPARATORS),
        st.sampled_from(OTHER_DIGITS),
    ),
    max_size=8,
).map("".join)
