"""Odd values for fuzz tests: text, JSON and bytes that once broke a route somewhere."""

from __future__ import annotations

import os

from hypothesis import strategies as st

# Examples per fuzz test: ``MADOGUCHI_FUZZ_EXAMPLES``; CI must throw at least the minimum.
FUZZ_EXAMPLES = int(os.environ.get("MADOGUCHI_FUZZ_EXAMPLES", "300"))
CI_MIN_EXAMPLES = 2000

MY_NUMBER = "057830862716"
NOT_UTF8 = (b"\xf4\x90\x80\x80", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe3\x81")
JUNK_TEXT = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\x7f",
    "\u0085",
    "\u202e",
    "\ufeff",
    MY_NUMBER,
    "0578-3086-2716",
    str(2**31),
    str(2**63),
    str(2**64 + 1),
    "-1",
    "0",
    "1e309",
    "NaN",
    "²",
    "١٢٣",
    "9" * 5000,
    "2026-02-30",
    "9999-12-31T23:59:59",
    "25:99",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00",
    "長" * 4001,
)
JUNK_JSON = (
    b"",
    b"{",
    b"[1,2",
    b"{'a': 1}",
    b'{"a": NaN}',
    b'{"a": 1,}',
    b'{"a": 1}{"b": 2}',
    b'{"a": "\\ud800"}',
    b'{"a": "\\u00"}',
    b"\xef\xbb\xbf{}",
    b"null",
    b'"text"',
    b"1e999999",
    b'{"a": 1' + b"0" * 5000 + b"}",
)
CONTENT_TYPES = (
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "text/plain",
    None,
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(JUNK_TEXT),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
TEXT = st.one_of(st.sampled_from(JUNK_TEXT), st.text(max_size=40))


def check_ci_examples() -> None:
    """Under CI, insist on a fuzz of at least ``CI_MIN_EXAMPLES`` examples."""
    if os.environ.get("CI"):
        assert FUZZ_EXAMPLES >= CI_MIN_EXAMPLES, (
            f"CI must fuzz at least {CI_MIN_EXAMPLES} examples: set MADOGUCHI_FUZZ_EXAMPLES"
        )


def shown(body: bytes) -> str:
    """``body`` as a note shows it: its first 300 bytes, and its length when longer."""
    return repr(body[:300]) + (f"... ({len(body)} bytes)" if len(body) > 300 else "")
