"""Categories counted at each kind of site: seeded defaults, added and retired by managers."""

from __future__ import annotations

from typing import Any

import msgspec

from server import db
from server.common.errors import OpRejected
from server.common.label_lists import new_entry
from server.headcounts import store
from server.headcounts.ops import AddCategory, SetCategoryActive
from server.headcounts.schemas import Category
from server.headcounts.tables import HeadcountCategory
from server.messages import N_
from server.ops.context import Applied, ApplyContext

CATEGORY_TAKEN = OpRejected("label_taken", N_("This category already exists."), field="label_ja")


async def categories(group: str, *, include_inactive: bool = False) -> list[Category]:
    """A group's categories (``outreach``, ``support`` or ``office``: what a site counts,
    :func:`server.sites.service.site_group`), in display order, active ones by default."""
    rows = await db.fetch(store.categories_query(group))
    found = [msgspec.convert(r, Category, strict=False) for r in rows]
    return found if include_inactive else [c for c in found if c.active]


def codes_by_group(rows: list[dict[str, Any]]) -> dict[str, set[str]]:
    """The codes counted now, by category group, from the rows
    of :data:`server.headcounts.store.ACTIVE_CODES`."""
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(str(row["site_group"]), set()).add(str(row["code"]))
    return found


# The groups, in the order pages show them: 出張申請受付 venues, 出張申請サポート venues, counters.
GROUPS: tuple[str, ...] = ("outreach", "support", "office")


async def apply_category_add(payload: AddCategory, context: ApplyContext) -> Applied:
    """Apply ``headcount.category_add``: appended after the group's existing categories."""
    existing = await categories(payload.site_group, include_inactive=True)
    labels = [c.label_ja for c in existing]
    entry = new_entry(payload.label_ja, payload.label_en, labels, CATEGORY_TAKEN)
    rows = await HeadcountCategory.insert(
        HeadcountCategory(site_group=payload.site_group, **entry)
    ).returning(HeadcountCategory._meta.primary_key)
    return Applied(target=f"headcount_category:{rows[0]['id']}", entity_id=entry["code"])


async def apply_category_set_active(payload: SetCategoryActive, context: ApplyContext) -> Applied:
    """Apply ``headcount.category_set_active``; counts already made stay as they are."""
    rows = (
        await HeadcountCategory.update({HeadcountCategory.active: payload.active})
        .where(
            (HeadcountCategory.site_group == payload.site_group)
            & (HeadcountCategory.code == payload.code)
        )
        .returning(HeadcountCategory._meta.primary_key)
    )
    if not rows:
        raise OpRejected("category_unknown", N_("Unknown category."), field="code")
    return Applied(target=f"headcount_category:{rows[0]['id']}", entity_id=payload.code)
