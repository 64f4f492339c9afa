"""Work session shapes."""

from __future__ import annotations

import datetime as dt

import msgspec

from server.sites.schemas import site_group

# Every state a work session can be in, in the order it goes through them: planned when made,
# open once started, closed once finished. Pages offer these and no others; the day lock
# adds its state here together with the op that sets it.
STATUSES: tuple[str, ...] = ("planned", "open", "closed")


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    """Someone working a session."""

    staff_id: int
    display_name: str
    role: str
    duty: str


class WorkSessionOut(msgspec.Struct, frozen=True, kw_only=True):
    """A work session as pages show it."""

    id: int
    site_id: int
    site_name_ja: str
    site_name_en: str
    site_kind: str
    site_venue_service: str = "reception"
    work_date: dt.date
    planned_start: dt.datetime
    planned_end: dt.datetime
    status: str
    actual_start: dt.datetime | None = None
    actual_end: dt.datetime | None = None
    notes: str = ""
    version: int = 1
    staff: list[Assignment] = []

    def site_name(self, language: str) -> str:
        """The site's name in ``language``."""
        return self.site_name_en if language == "en" else self.site_name_ja

    @property
    def counted_as(self) -> str:
        """The group of headcount categories counted at its site."""
        return site_group(self.site_kind, self.site_venue_service)

    @property
    def in_charge(self) -> Assignment | None:
        """The person in charge, if assigned."""
        return in_charge_of(self.staff)


def in_charge_of(staff: list[Assignment]) -> Assignment | None:
    """The person in charge among a session's ``staff``, if any."""
    return next((a for a in staff if a.duty == "in_charge"), None)


class CheckLine(msgspec.Struct, frozen=True, kw_only=True):
    """One line of a checklist."""

    code: str
    label_ja: str
    label_en: str

    def label(self, language: str) -> str:
        """The line in ``language`` (Japanese unless ``en``)."""
        return self.label_en if language == "en" else self.label_ja


class CheckRecord(msgspec.Struct, frozen=True, kw_only=True):
    """The checklist as recorded at one phase: the lines done and those not done."""

    done: list[str]
    missing: list[str]
    at: dt.datetime


class Stock(msgspec.Struct, frozen=True, kw_only=True):
    """A session's card stock: counted at the start, moved during it, counted at the end."""

    start: int | None = None
    received: int = 0
    issued: int = 0
    spoiled: int = 0
    end: int | None = None

    @property
    def expected(self) -> int | None:
        """What the end count should be, from the start and the movements."""
        return (
            None if self.start is None else self.start + self.received - self.issued - self.spoiled
        )

    @property
    def reconciles(self) -> bool:
        """Whether the end count is what the movements leave (False without both counts)."""
        return self.end is not None and self.expected == self.end


class SessionChecks(msgspec.Struct, frozen=True, kw_only=True):
    """A session's opening and closing checks and its card stock, where recorded."""

    opening: CheckRecord | None = None
    closing: CheckRecord | None = None
    stock: Stock | None = None

    @property
    def stock_flagged(self) -> bool:
        """A closing count was made and it does not reconcile."""
        return self.stock is not None and self.stock.end is not None and not self.stock.reconciles
