"""Venue ops: adding and retiring outreach venues (applied by the rules in ``service.py``)."""

from __future__ import annotations

from typing import Literal

from server.common.text import FreeText, Id
from server.ops.envelope import OpBase, Payload


class AddVenue(Payload, frozen=True, kw_only=True):
    """``site.add_venue``: a new outreach venue."""

    name_ja: FreeText
    name_en: FreeText = ""
    address: FreeText = ""
    venue_kind: Literal["university", "commercial", "community_hall", "other"]
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
