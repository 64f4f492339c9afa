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
