"""Whether a stored value or a log line holds a My Number: the guard's rule, or the plain
digits of any refused vector."""

from __future__ import annotations

import re
import unicodedata

from server.common.mynumber import contains_my_number, mask_my_numbers
from tests.support.mynumber_samples import load_vectors

REFUSED = [str(v["text"]) for v in load_vectors() if v["refused"]]


def numbers_of(text: str) -> set[str]:
    """The 12 digits of each My Number in ``text`` (ASCII), for a plain substring search."""
    normal = unicodedata.normalize("NFKC", text)
    masked = mask_my_numbers(normal)
    digits = "".join(c for c, m in zip(normal, masked, strict=True) if m == "*" and c.isdigit())
    return {digits[i : i + 12] for i in range(0, len(digits), 12)}


NUMBERS = set().union(*(numbers_of(text) for text in REFUSED))


# Machine-made values: UUIDs and long hex (hashes, request ids). A random one holds a
# 12-digit run with a valid check digit now and then (a UUID's last group: 1 in ~2,800);
# that is no one's My Number, so they are blanked before the search.
MACHINE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-f]{32,}"
)


def leaks(value: str) -> bool:
    """Whether ``value`` holds a My Number (the guard's rule, or one's plain digits)."""
    value = MACHINE.sub("~", value)
    return contains_my_number(value) or any(number in value for number in NUMBERS)
