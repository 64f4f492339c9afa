"""Headcount shapes."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import msgspec

from server.headcounts.ops import AddHeadcount


class Category(msgspec.Struct, frozen=True, kw_only=True):
    """A counted category."""

    code: str
    label_ja: str
    label_en: str
    active: bool = True

    def label(self, language: str) -> str:
        """The label in ``language``."""
        return self.label_en if language == "en" else self.label_ja


class Totals(msgspec.Struct, frozen=True, kw_only=True):
    """Sums for one work session: per category, per slot, and per slot and category."""

    by_category: dict[str, int]
    by_slot: dict[dt.datetime, int]
    cells: dict[tuple[dt.datetime, str], int]
    total: int


class Increment(Protocol):
    """One ``headcount.add`` to apply, with the op's id and device (kept on the row): a
    ``headcount.add`` op itself (a synced batch's hundreds are passed as they came)."""

    @property
    def payload(self) -> AddHeadcount:
        """What to count."""

    @property
    def op_id(self) -> str | None:
        """The op's id, unique across ops."""

    @property
    def device_id(self) -> str | None:
        """The device that made it."""
