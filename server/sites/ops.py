"""Site ops: adding and retiring outreach venues, and keeping the fixed sites' opening
calendars (applied by the rules in ``service.py`` and ``opening.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from server.common.text import FreeText, Id
from server.ops.envelope import OpBase, Payload


class AddVenue(Payload, frozen=True, kw_only=True):
    """``site.add_venue``: a new outreach venue."""

    name_ja: FreeText
    name_en: FreeText = ""
    address: FreeText = ""
    venue_kind: Literal["university", "commercial", "community_hall", "other"]
    # 出張申請受付 (the card mailed) or 出張申請サポート (collected later): what is counted.
    venue_service: Literal["reception", "support"] = "reception"
    notes: FreeText = ""


class SiteAddVenue(OpBase, frozen=True, tag="site.add_venue"):
    """Op: add an outreach venue."""

    payload: AddVenue


class RetireVenue(Payload, frozen=True, kw_only=True):
    """``site.retire``: an outreach venue is no longer used."""

    site_id: Id


class SiteRetire(OpBase, frozen=True, tag="site.retire"):
    """Op: retire an outreach venue."""

    payload: RetireVenue


class WeekdayHours(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One day of a site's week: 0 (Monday) to 6 (Sunday), 7 for public holidays; both
    times None when the site is closed that day."""

    weekday: Annotated[int, msgspec.Meta(ge=0, le=7)]
    opens: dt.time | None = None
    closes: dt.time | None = None


class SetHours(Payload, frozen=True, kw_only=True):
    """``site.set_hours``: a fixed site's weekly opening hours (the days given)."""

    site_id: Id
    days: Annotated[list[WeekdayHours], msgspec.Meta(min_length=1, max_length=8)]


class SiteSetHours(OpBase, frozen=True, tag="site.set_hours"):
    """Op: set a site's weekly opening hours."""

    payload: SetHours


class SetDay(Payload, frozen=True, kw_only=True):
    """``site.set_day``: one date differs from the site's week: ``closed``, or ``open``
    (from ``opens`` to ``closes``, or, with neither, for the hours sessions are planned)."""

    site_id: Id
    day: dt.date
    status: Literal["closed", "open"]
    opens: dt.time | None = None
    closes: dt.time | None = None
    note: FreeText = ""


class SiteSetDay(OpBase, frozen=True, tag="site.set_day"):
    """Op: open or close a site on one date."""

    payload: SetDay


class ClearDay(Payload, frozen=True, kw_only=True):
    """``site.clear_day``: a date follows the site's week again."""

    site_id: Id
    day: dt.date


class SiteClearDay(OpBase, frozen=True, tag="site.clear_day"):
    """Op: remove a date's exception from a site's calendar."""

    payload: ClearDay
