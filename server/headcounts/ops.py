"""Headcount ops: counts and the categories counted (applied by the rules in ``service.py``)."""

from __future__ import annotations

from typing import ClassVar, Literal

from server.common.text import Code, CountCode, FreeText, Id
from server.ops.envelope import Moment, OpBase, Payload


class AddHeadcount(Payload, frozen=True, kw_only=True):
    """``headcount.add``: +n in a category and slot (negative: a correction)."""

    moments: ClassVar[tuple[str, ...]] = ("slot_start",)

    work_session_id: Id
    slot_start: Moment
    category: CountCode
    delta: int


class HeadcountAdd(OpBase, frozen=True, tag="headcount.add"):
    """Op: count (or correct) a headcount."""

    payload: AddHeadcount


# The groups of categories: 出張申請受付 venues, 出張申請サポート venues, counters and branches.
SiteGroup = Literal["outreach", "support", "office"]


class AddCategory(Payload, frozen=True, kw_only=True):
    """``headcount.category_add``: a new thing to count at one kind of site."""

    site_group: SiteGroup
    label_ja: FreeText
    label_en: FreeText = ""


class HeadcountCategoryAdd(OpBase, frozen=True, tag="headcount.category_add"):
    """Op: add a headcount category."""

    payload: AddCategory


class SetCategoryActive(Payload, frozen=True, kw_only=True):
    """``headcount.category_set_active``: stop (or resume) counting a category."""

    site_group: SiteGroup
    code: Code
    active: bool


class HeadcountCategorySetActive(OpBase, frozen=True, tag="headcount.category_set_active"):
    """Op: retire or restore a headcount category."""

    payload: SetCategoryActive
