"""What is kept for review: My Numbers masked wherever they stand, generated ids kept."""

from __future__ import annotations

from server.common.mynumber import contains_my_number
from server.sync.keep import clean, masked_json

V = "057830862716"


def test_numbers_are_masked_in_strings_keys_and_integers() -> None:
    """A My Number in a value, a key or an integer is masked; control characters replaced."""
    kept = masked_json({"notes": f"番号 {V}", V: 1, "n": int(V), "x": "a\x00b"})
    assert not contains_my_number(kept) and V not in kept
    assert "a\ufffdb" in kept


def test_a_uuid_that_reads_as_digits_is_kept_whole() -> None:
    """About one random UUID in a thousand has groups reading 4-4-4 digits: it is an id, not
    a number someone typed, and masking it would break the op under review."""
    uid = "12345678-0578-3086-2716-abcdefabcdef"
    assert contains_my_number(uid)
    assert clean({"uid": uid}) == {"uid": uid}
    assert clean(f"uid {uid}") != f"uid {uid}"  # inside free text it is masked
