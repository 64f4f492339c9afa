"""Rules about sites. Plain async functions; no web framework here."""

from __future__ import annotations

import msgspec

from server.sites.schemas import SiteOut
from server.sites.tables import Site


async def list_sites(*, include_retired: bool = False) -> list[SiteOut]:
    """Sites in display order: fixed sites first (contract order), then venues by name.

    Args:
        include_retired: Also list retired outreach venues.

    Returns:
        The sites.
    """
    query = Site.select().order_by(Site.fixed, ascending=False).order_by(Site._meta.primary_key)
    if not include_retired:
        query = query.where(Site.active.eq(True))
    rows = await query
    return [msgspec.convert(row, SiteOut, strict=False) for row in rows]


class SiteCodeTaken(ValueError):
    """Another site already uses this code."""


async def add_outreach_venue(*, code: str, name_ja: str, name_en: str, address: str) -> SiteOut:
    """Add an outreach venue (出張申請会場).

    Args:
        code: Short unique code, used in URLs.
        name_ja: Japanese name.
        name_en: English name.
        address: Postal address.

    Returns:
        The new site.

    Raises:
        SiteCodeTaken: ``code`` is in use.
    """
    if await Site.exists().where(Site.code == code):
        raise SiteCodeTaken(code)
    rows = await Site.insert(
        Site(code=code, name_ja=name_ja, name_en=name_en, address=address, kind="outreach_venue")
    ).returning(*Site.all_columns())
    return msgspec.convert(rows[0], SiteOut, strict=False)
