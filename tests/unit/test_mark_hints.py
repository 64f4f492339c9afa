"""The hints that let a batch sent again be answered without reading it whole."""

from __future__ import annotations

import uuid

import msgspec

from server.sync.receive import MarkHints, _heads, _in_order


def test_a_hint_only_grows_and_a_full_table_starts_again() -> None:
    """A lower mark never replaces a higher one, and past its size the table is emptied
    rather than grown (a missing hint only costs time)."""
    hints = MarkHints(size=2)
    hints.note("a", 10)
    hints.note("a", 4)
    assert hints.covers("a", 10)
    assert not hints.covers("a", 11)
    assert not hints.covers("b", 1)
    hints.note("b", 3)
    hints.note("c", 5)
    assert hints.covers("c", 5)
    assert not hints.covers("a", 1)


def _body(seqs: list[object], **extra: object) -> bytes:
    device = str(uuid.uuid4())
    ops = [{"seq": seq, "op_id": str(uuid.uuid4()), "type": "headcount.add"} for seq in seqs]
    return msgspec.json.encode({"device_id": device, "schema_version": 1, "ops": ops, **extra})


def test_only_a_well_formed_batch_in_order_is_read_by_its_heads() -> None:
    """Anything the whole reading would refuse or split is left to it."""
    heads = _heads(_body([1, 2, 3]))
    assert heads is not None
    assert _in_order(heads)
    assert [op.seq for op in heads.ops] == [1, 2, 3]
    for unread in (_body([0, 1]), _body(["1"]), _body([]), _body([1], extra=True), b"{"):
        assert _heads(unread) is None, unread
    for refused in (_body([1, 3, 2]), _body([1, 1]), _body([1], schema_version=99)):
        heads = _heads(refused)
        assert heads is not None
        assert not _in_order(heads), refused
