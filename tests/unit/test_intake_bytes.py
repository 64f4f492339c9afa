"""A batch whose op breaks a type before a byte that is not UTF-8 is still read op by op."""

from __future__ import annotations

from server.sync import ops
from server.sync.intake import read_batch

GOOD = (
    b'{"type": "headcount.add", "op_id": "b61753e2-1347-484e-954c-f448c4842fbb", "seq": 2, '
    b'"payload": {"work_session_id": 1, "slot_start": "2026-12-03T14:00:00+00:00", '
    b'"category": "issuance_reserved", "delta": 1}}'
)
# ``device_id`` breaks its type first; the key after it holds bytes beyond U+10FFFF.
BAD = (
    b'{"type": "headcount.add", "op_id": "c61753e2-1347-484e-954c-f448c4842fbb", '
    b'"device_id": [], "seq": 1, "\xf4\x90\x80\x80actor_id": 3, "payload": {}}'
)


def test_a_bad_byte_after_a_broken_type_refuses_only_its_op() -> None:
    """The malformed op becomes Unreadable in its place; the good one behind it is read."""
    body = (
        b'{"device_id": "fcd0d6a5-a032-4d18-916a-10ba365c55f9", "schema_version": 1, "ops": ['
        + BAD
        + b", "
        + GOOD
        + b"]}"
    )
    batch = read_batch(body)
    first, second = batch.ops
    assert isinstance(first, ops.Unreadable) and first.seq == 1
    assert isinstance(second, ops.HeadcountAdd) and second.seq == 2
