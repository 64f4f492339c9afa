"""The My Number guard: Madoguchi never stores a My Number (個人番号).

Every free-text field is checked before anything is stored (here, on the server) and before
anything is queued (``static/js/mynumber.js``, the same rule in the browser). Both sides run
the hand-written vectors in ``tests/vectors/mynumber.json``.

The rule, on the text after NFKC (full-width digits become ASCII): a separated run is digit
groups joined by 1 to 3 separators (spaces, hyphens, dashes, minus, dots, slashes, long-vowel
marks; mixed kinds allowed, so 「0578 - 3086 - 2716」 joins). Text is refused when (a) a group
of exactly 12 digits, or (b) a streak of exactly three consecutive 4-digit groups in a run,
holds 12 digits that pass the check digit. A date or short number joined on either side does
not hide a 4-4-4 (「2026-12-03 0578 3086 2716」, 「0578 3086 2716 5」 are refused). A streak of
6, 9, … 4-digit groups is read as that many 4-4-4 numbers side by side; other streaks (a
4-4-4-4 card number) and other shapes (3-3-3-3 as in 「整理券 106 107 108 109」, 4-8,
13 digits) are accepted.

The number itself is never logged and never put into an exception. :func:`mask_my_numbers`
hides the digits of every refused number so a refused change can be kept for review.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = [
    "MESSAGE_EN",
    "MESSAGE_JA",
    "MyNumberRefused",
    "check_digit",
    "contains_my_number",
    "guard_text",
    "mask_my_numbers",
]

MESSAGE_JA: Final = (
    "個人番号（マイナンバー）と思われる12桁の番号が含まれているため、保存できません。"
    "個人番号は入力しないでください。"
)
MESSAGE_EN: Final = (
    "This looks like a My Number (12 digits with a valid check digit), so it was not saved. "
    "Never enter a My Number."
)

# Separators between two digit groups, as they look after NFKC. NFKC already folds the
# full-width and small hyphen and full stop, the no-break and ideographic spaces, U+2011,
# U+FE58 and U+FF70 into other members; U+2011, U+3000 and U+FF70 are listed anyway so the set
# reads like the spec. The wave dash 〜 is left out: it writes ranges. The slash joins
# because dates (12/3) are written with it and must not shield a 4-4-4 beside them. Keep in
# step with static/js/mynumber.js.
SEPARATORS: Final = (
    " -./"
    "\u2010\u2011\u2012\u2013\u2014\u2015"  # ‐ ‑ ‒ – — ―
    "\u2043\u2212\u2e3a\u2e3b"  # ⁃ hyphen bullet, − minus sign, ⸺ ⸻
    "\u2500\u2501"  # ─ ━ (an IME's けいせん, typed as dashes)
    "\u30fc\uff70"  # ー ｰ long-vowel marks
    "\u3000"  # ideographic space
)
_SEPARATOR_CLASS: Final = "[" + re.escape(SEPARATORS) + "]"
# A maximal separated run: digit groups joined by 1 to 3 separators ("0578 - 3086" is typed).
# Digits and separators are disjoint, so the match is unambiguous, linear and maximal.
_RUN: Final = re.compile("[0-9]+(?:" + _SEPARATOR_CLASS + "{1,3}[0-9]+)*")
_GROUP: Final = re.compile("[0-9]+")
_ELEVEN_DIGITS: Final = re.compile("[0-9]{11}")
# Q_n for n = 1..11, n counted from the right of the first 11 digits.
_WEIGHTS: Final = tuple(n + 1 if n <= 6 else n - 5 for n in range(1, 12))
MASK: Final = "*"


def check_digit(first11: str) -> int:
    """Compute the My Number check digit of the first 11 digits.

    With P_n the n-th digit from the right of ``first11`` and Q_n = n + 1 for 1 ≤ n ≤ 6,
    n − 5 for 7 ≤ n ≤ 11, r = Σ P_n·Q_n mod 11; the check digit is 0 when r ≤ 1, else 11 − r.

    Args:
        first11: Exactly 11 ASCII digits.

    Returns:
        The check digit, 0 to 9.

    Raises:
        ValueError: ``first11`` is not exactly 11 ASCII digits (its value is not repeated).
    """
    if _ELEVEN_DIGITS.fullmatch(first11) is None:
        raise ValueError("check_digit needs exactly 11 ASCII digits")
    remainder = (
        sum(int(digit) * weight for digit, weight in zip(reversed(first11), _WEIGHTS, strict=True))
        % 11
    )
    return 0 if remainder <= 1 else 11 - remainder


def _valid(digits: str) -> bool:
    """Whether 12 ASCII digits end in the check digit of the first 11."""
    return check_digit(digits[:11]) == int(digits[11])


def _refused_spans(normalized: str) -> list[tuple[int, int]]:
    """The (start, end) of each digit group of ``normalized`` (NFKC text) the rule refuses."""
    spans: list[tuple[int, int]] = []
    for run in _RUN.finditer(normalized):
        groups = [
            (run.start() + group.start(), run.start() + group.end())
            for group in _GROUP.finditer(run.group())
        ]
        for start, end in groups:  # (a) one group of 12, whatever stands around it
            if end - start == 12 and _valid(normalized[start:end]):
                spans.append((start, end))
        streak: list[tuple[int, int]] = []  # consecutive 4-digit groups
        for group in [*groups, None]:  # None closes the last streak
            if group is not None and group[1] - group[0] == 4:
                streak.append(group)
                continue
            # (b) 4-4-4, or several 4-4-4 side by side; 4-4-4-4 (a card number) is not one.
            if len(streak) % 3 == 0:
                for first in range(0, len(streak), 3):
                    triple = streak[first : first + 3]
                    if _valid("".join(normalized[s:e] for s, e in triple)):
                        spans.extend(triple)
            streak = []
    return spans


def contains_my_number(text: str) -> bool:
    """Tell whether ``text`` contains something that looks like a My Number.

    Args:
        text: Any free text, as typed.

    Returns:
        True when, after NFKC, a group of exactly 12 digits, or a streak of exactly three
        (or 6, 9, …) 4-digit groups in a separated run, holds 12 digits whose last is the
        check digit.
    """
    return bool(_refused_spans(unicodedata.normalize("NFKC", text)))


def mask_my_numbers(text: str) -> str:
    """Return ``text`` with each character of every refused number replaced by ``*``.

    Positions and length are those of ``text``: NFKC is applied character by character and
    each refused digit is traced back to the character it came from (a full-width ``５``
    becomes one ``*``), so separators and all other text stay as they were. JSON text works
    too: digits in strings are masked alike, but a refused bare JSON number (12 digits) is
    masked as well, which leaves the JSON unparseable.

    Args:
        text: Any text, e.g. the JSON of a refused op.

    Returns:
        The masked text; ``text`` itself when it holds no My Number.
    """
    masked = text
    # Should masking ever leave a refused number behind, another round masks it; each round
    # masks at least one digit, so it ends.
    while contains_my_number(masked):
        origin: list[int] = []  # origin[i]: index in ``masked`` of normalized character i
        pieces: list[str] = []
        for index, char in enumerate(masked):
            piece = unicodedata.normalize("NFKC", char)
            pieces.append(piece)
            origin.extend([index] * len(piece))
        hits = {
            origin[i] for start, end in _refused_spans("".join(pieces)) for i in range(start, end)
        }
        if not hits:  # NFKC of the whole differs from char by char here: mask every digit
            hits = {i for i, piece in enumerate(pieces) if _GROUP.search(piece)}
        masked = "".join(MASK if i in hits else char for i, char in enumerate(masked))
    return masked


class MyNumberRefused(ValueError):
    """A free-text field held what looks like a My Number, so nothing was stored.

    The message names the field, never the number. Routes show :attr:`message_ja` or
    :attr:`message_en` next to the field; ``str()`` is the English message with the field name.

    Attributes:
        field: The name of the refused field.
        message_ja: What to tell the user, in Japanese.
        message_en: What to tell the user, in English.
    """

    message_ja: Final[str] = MESSAGE_JA
    message_en: Final[str] = MESSAGE_EN

    def __init__(self, field: str) -> None:
        """Refuse ``field``.

        Args:
            field: The name of the field that held the number (never its value).
        """
        self.field = field
        super().__init__(f"{field}: {MESSAGE_EN}")

    def __reduce__(self) -> tuple[type[MyNumberRefused], tuple[str]]:
        """Pickle by field name, so a copy is built the same way as the original."""
        return (type(self), (self.field,))


def guard_text(field: str, value: str | None) -> None:
    """Refuse a free-text value that contains what looks like a My Number.

    Call it on every free-text field before anything is stored. ``None`` (an absent field)
    passes.

    Args:
        field: The field's name, put into the exception.
        value: The text to check.

    Raises:
        MyNumberRefused: ``value`` contains what looks like a My Number.
    """
    if value is not None and contains_my_number(value):
        raise MyNumberRefused(field)
