"""Categories counted at each kind of site: seeded defaults, added and retired by managers."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from server import db
from server.common.errors import OpRejected
from server.headcounts import store
from server.headcounts.ops import AddCategory, SetCategoryActive
from server.headcounts.schemas import Category
from server.headcounts.tables import HeadcountCategory
from server.messages import N_
from server.ops.context import Applied, ApplyContext

MAX_LABEL = 100


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
    label = " ".join(payload.label_ja.split())
    if not label or len(label) > MAX_LABEL:
        raise OpRejected(
            "label_invalid", N_("Enter a label of 1 to 100 characters."), field="label_ja"
        )
    existing = await categories(payload.site_group, include_inactive=True)
    if any(c.label_ja == label for c in existing):
        raise OpRejected("label_taken", N_("This category already exists."), field="label_ja")
    code = f"c-{uuid.uuid4().hex[:8]}"
    rows = await HeadcountCategory.insert(
        HeadcountCategory(
            code=code,
            site_group=payload.site_group,
            label_ja=label,
            label_en=" ".join(payload.label_en.split())[:MAX_LABEL] or label,
            sort_order=1000 + len(existing),
            active=True,
        )
    ).returning(HeadcountCategory._meta.primary_key)
    return Applied(target=f"headcount_category:{rows[0]['id']}", entity_id=code)


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
