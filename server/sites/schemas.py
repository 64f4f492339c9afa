"""Shapes of site data crossing the service boundary."""

from typing import Literal

import msgspec

SiteKind = Literal["office", "branch", "outreach_venue"]


def site_group(kind: str, venue_service: str = "reception") -> str:
    """Which headcount categories a site counts: ``office`` at counters and branches; at a
    venue ``outreach`` (出張申請受付) or ``support`` (出張申請サポート)."""
    if kind != "outreach_venue":
        return "office"
    return "support" if venue_service == "support" else "outreach"


class SiteOut(msgspec.Struct, frozen=True, kw_only=True):
    """A site as pages and the API show it."""

    id: int
    code: str
    name_ja: str
    name_en: str
    address: str
    kind: SiteKind
    venue_kind: str = ""
    venue_service: str = "reception"
    notes: str = ""
    fixed: bool
    active: bool

    @property
    def counted_as(self) -> str:
        """The group of headcount categories counted here (:func:`site_group`)."""
        return site_group(self.kind, self.venue_service)

    def name(self, language: str) -> str:
        """The site's name in ``language`` (Japanese unless ``en``)."""
        return self.name_en if language == "en" else self.name_ja
