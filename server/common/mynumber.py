"""The My Number guard: Madoguchi never stores a My Number (個人番号).

Every free-text field is checked before anything is stored (here, on the server) and before
anything is queued (``static/js/mynumber.js``, the same rule in the browser). Both sides run
the hand-written vectors in ``tests/vectors/mynumber.json``.

The rule: text is refused when it contains a 12-digit number that passes the My Number check
digit. The text is first normalized with NFKC (full-width digits become ASCII). Digits may be
joined by one separator character (space, hyphen, dot, the dashes and long-vowel marks that
Japanese input methods produce, or the ideographic space); two separators in a row end the
number. Only a *maximal* run of digits joined this way counts, and it must hold exactly
12 digits: 11 or 13 digits are accepted, and so is a valid 12 inside a longer run such as a
16-digit card number. Digits are ASCII ``0``-``9`` after NFKC, exactly as in the browser.

The number itself is never logged and never put into an exception.
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
]

MESSAGE_JA: Final = (
    "個人番号（マイナンバー）と思われる12桁の番号が含まれているため、保存できません。"
    "個人番号は入力しないでください。"
)
MESSAGE_EN: Final = (
    "This looks like a My Number (12 digits with a valid check digit), so it was not saved. "
    "Never enter a My Number."
)

# Separators between two digits, as they look after NFKC. NFKC already folds the full-width
# hyphen, full stop and space, U+2011, U+FF70 and U+3000 into other members of this set; they
# are listed anyway so the set reads like the spec. Keep in step with static/js/mynumber.js.
SEPARATORS: Final = (
    " -."
    "\u2010\u2011\u2012\u2013\u2014"  # ‐ ‑ ‒ – —
    "\u2212"  # − minus sign
    "\u30fc\uff70"  # ー ｰ long-vowel marks
    "\u3000"  # ideographic space
)
_SEPARATOR_CLASS: Final = "[" + re.escape(SEPARATORS) + "]"
# A maximal run: a digit, then any number of (at most one separator, then a digit). Greedy and
# unambiguous (digits and separators are disjoint), so it is linear and each match is maximal.
_RUN: Final = re.compile("[0-9](?:" + _SEPARATOR_CLASS + "?[0-9])*")
_NOT_DIGIT: Final = re.compile("[^0-9]")
_ELEVEN_DIGITS: Final = re.compile("[0-9]{11}")
# Q_n for n = 1..11, n counted from the right of the first 11 digits.
_WEIGHTS: Final = tuple(n + 1 if n <= 6 else n - 5 for n in range(1, 12))


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


def contains_my_number(text: str) -> bool:
    """Tell whether ``text`` contains something that looks like a My Number.

    Args:
        text: Any free text, as typed.

    Returns:
        True when, after NFKC, a maximal run of digits joined by single separators holds
        exactly 12 digits whose last one is the check digit of the first 11.
    """
    normalized = unicodedata.normalize("NFKC", text)
    for match in _RUN.finditer(normalized):
        digits = _NOT_DIGIT.sub("", match.group())
        if len(digits) == 12 and check_digit(digits[:11]) == int(digits[11]):
            return True
    return False


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
        MyNumberRefused: ``value`` contains a 12-digit number with a valid check digit.
    """
    if value is not None and contains_my_number(value):
        raise MyNumberRefused(field)
