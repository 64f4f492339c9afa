"""Audit shapes."""

import msgspec


class VerifyResult(msgspec.Struct, frozen=True, kw_only=True):
    """Outcome of walking the chain.

    Attributes:
        ok: The whole chain holds.
        checked: Entries read.
        broken_seq: The first entry that does not hold (0 when the end is missing).
        reason: Why it does not hold.
    """

    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""
