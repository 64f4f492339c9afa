"""Shapes of site data crossing the service boundary."""

from typing import Literal

import msgspec

SiteKind = Literal["office", "branch", "outreach_venue"]


class SiteOut(msgspec.Struct, frozen=True, kw_only=True):
    """A site as pages and the API show it."""

    id: int
    code: str
    name_ja: str
    name_en: str
    address: str
    kind: SiteKind
    venue_kind: str = ""
    notes: str = ""
    fixed: bool
    active: bool

    def name(self, language: str) -> str:
        """The site's name in ``language`` (Japanese unless ``en``)."""
        return self.name_en if language == "en" else self.name_ja
