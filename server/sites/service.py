"""Rules about sites. Plain async functions; no web framework here.

Outreach venues are named once (names compared trimmed, NFKC and case-folded); the fixed
sites' opening calendars are kept by :mod:`server.sites.opening`, re-exported here.
"""

from __future__ import annotations

import unicodedata
import uuid

import msgspec

from server.auth.policy import Permission
from server.common.errors import OpRejected
from server.messages import N_
from server.ops.context import Applied, ApplyContext
from server.ops.registry import Kind
from server.sites.calendar import Opening as Opening
from server.sites.calendar import Rules as Rules
from server.sites.calendar import holiday_name as holiday_name
from server.sites.calendar import opening as opening
from server.sites.calendar import within as within
from server.sites.opening import apply_clear_day, apply_set_day, apply_set_hours
from server.sites.opening import exceptions_of as exceptions_of
from server.sites.opening import opening_of as opening_of
from server.sites.opening import rules_of as rules_of
from server.sites.opening import rules_of_many as rules_of_many
from server.sites.ops import (
    AddVenue,
    RetireVenue,
    SiteAddVenue,
    SiteClearDay,
    SiteRetire,
    SiteSetDay,
    SiteSetHours,
)
from server.sites.schemas import SiteOut
from server.sites.schemas import site_group as site_group
from server.sites.tables import Site

MAX_NAME = 200


async def list_sites(*, include_retired: bool = False) -> list[SiteOut]:
    """Sites in display order: fixed sites first (contract order), then venues as added.

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


async def get_many(ids: list[int]) -> dict[int, SiteOut]:
    """Sites by id (unknown ids are left out)."""
    if not ids:
        return {}
    rows = await Site.select().where(Site._meta.primary_key.is_in(ids))
    return {int(row["id"]): msgspec.convert(row, SiteOut, strict=False) for row in rows}


async def get_site(site_id: int) -> SiteOut | None:
    """One site, or None."""
    return (await get_many([site_id])).get(site_id)


async def add_outreach_venue(
    *,
    name_ja: str,
    name_en: str = "",
    address: str = "",
    venue_kind: str = "other",
    venue_service: str = "reception",
    notes: str = "",
    code: str | None = None,
) -> SiteOut:
    """Add an outreach venue (出張申請会場), inside the caller's transaction.

    Args:
        name_ja: Japanese name.
        name_en: English name (the Japanese one when empty).
        address: Postal address.
        venue_kind: university, commercial, community_hall or other.
        venue_service: ``reception`` (出張申請受付) or ``support`` (出張申請サポート).
        notes: Free notes (access, contact hours).
        code: Short unique code; made up when omitted.

    Returns:
        The new site.

    Raises:
        SiteCodeTaken: ``code`` is in use.
    """
    code = code or f"v-{uuid.uuid4().hex[:10]}"
    if await Site.exists().where(Site.code == code):
        raise SiteCodeTaken(code)
    rows = await Site.insert(
        Site(
            code=code,
            name_ja=name_ja,
            name_en=name_en or name_ja,
            address=address,
            kind="outreach_venue",
            venue_kind=venue_kind,
            venue_service=venue_service,
            notes=notes,
        )
    ).returning(*Site.all_columns())
    return msgspec.convert(rows[0], SiteOut, strict=False)


def name_key(name: str) -> str:
    """A site's name as compared for duplicates: NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


async def lock(site_id: int) -> None:
    """Take the site row's lock, so concurrent planning at one site checks in turn
    (PostgreSQL; SQLite's write transaction is already exclusive)."""
    await Site.update({Site.active: Site.active}).where(Site._meta.primary_key == site_id)


async def _check_unique_name(name_ja: str, name_en: str) -> None:
    taken = {name_key(name) for site in await list_sites() for name in (site.name_ja, site.name_en)}
    for field, name in (("name_ja", name_ja), ("name_en", name_en)):
        if name and name_key(name) in taken:
            raise OpRejected(
                "name_taken",
                N_("A site named “%(name)s” already exists: use it, or choose another name."),
                field=field,
                name=name,
            )


async def apply_add_venue(payload: AddVenue, context: ApplyContext) -> Applied:
    """Apply ``site.add_venue``: its names may not be another active site's."""
    name = " ".join(payload.name_ja.split())
    if not name or len(name) > MAX_NAME:
        raise OpRejected(
            "name_invalid", N_("Enter a name of 1 to 200 characters."), field="name_ja"
        )
    await _check_unique_name(name, " ".join(payload.name_en.split()))
    site = await add_outreach_venue(
        name_ja=name,
        name_en=" ".join(payload.name_en.split()),
        address=payload.address.strip(),
        venue_kind=payload.venue_kind,
        venue_service=payload.venue_service,
        notes=payload.notes.strip(),
    )
    return Applied(target=f"site:{site.id}", entity_id=site.id)


async def apply_retire(payload: RetireVenue, context: ApplyContext) -> Applied:
    """Apply ``site.retire``: venues are retired, never deleted (their data stays)."""
    site = await get_site(payload.site_id)
    if site is None:
        raise OpRejected("site_unknown", N_("No such site."), field="site_id")
    if site.fixed or site.kind != "outreach_venue":
        raise OpRejected("site_fixed", N_("Fixed sites of the contract cannot be retired."))
    if not site.active:
        raise OpRejected("site_retired", N_("This venue is already retired."), field="site_id")
    await Site.update({Site.active: False, Site.retired_at: context.now}).where(
        Site._meta.primary_key == site.id
    )
    return Applied(target=f"site:{site.id}", entity_id=site.id)


MANAGE = Permission.MANAGE_SITES
KINDS = (
    Kind(SiteAddVenue, MANAGE, lambda op, c: apply_add_venue(op.payload, c)),
    Kind(SiteRetire, MANAGE, lambda op, c: apply_retire(op.payload, c)),
    # Calendars are kept from the office's pages, never from a field tablet.
    Kind(SiteSetHours, MANAGE, lambda op, c: apply_set_hours(op.payload, c), synced=False),
    Kind(SiteSetDay, MANAGE, lambda op, c: apply_set_day(op.payload, c), synced=False),
    Kind(SiteClearDay, MANAGE, lambda op, c: apply_clear_day(op.payload, c), synced=False),
)
"""The site ops and the rules that apply them (installed by :mod:`server.domains`)."""
