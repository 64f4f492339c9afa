"""The categories page: what is counted at each kind of venue and at counters, added and retired by
managers (ops ``headcount.category_add`` and ``headcount.category_set_active``)."""

from __future__ import annotations

import typing
from typing import Annotated

import msgspec
from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.auth.policy import Permission
from server.common.text import FreeText
from server.headcounts import ops, service
from server.messages import N_
from server.web import label_lists
from server.web.form_fields import Form, FormChoice
from server.web.pages import SignedInRequest, request_language

TEMPLATE = "headcounts/categories.html"
READ = {"permission": Permission.READ_ALL}
MANAGE = {"permission": Permission.MANAGE_SITES}
GROUPS: tuple[ops.SiteGroup, ...] = typing.get_args(ops.SiteGroup)


class CategoryForm(msgspec.Struct):
    """The add-category form, as the browser sends it."""

    site_group: FormChoice = ""
    label_ja: FreeText = ""
    label_en: FreeText = ""


NEW_CATEGORY_MESSAGES = {"site_group": N_("Choose where it is counted.")}


async def _categories_page(
    request: SignedInRequest,
    errors: dict[str, str] | None = None,
    form: CategoryForm | None = None,
    status_code: int = 200,
) -> Template:
    language = request_language(request)
    groups = {
        group: [
            (c.code, c.label(language), c.active)
            for c in await service.categories(group, include_inactive=True)
        ]
        for group in GROUPS
    }
    form = form or CategoryForm()
    return label_lists.list_page(request, TEMPLATE, form, errors, status_code, groups=groups)


@get("/sites/categories", opt=READ)
async def categories_page(request: SignedInRequest) -> Template:
    """What is counted at venues and at counters; managers add and retire categories."""
    return await _categories_page(request)


@post("/sites/categories", opt=MANAGE)
async def add_category(
    request: SignedInRequest, data: Annotated[CategoryForm, Form]
) -> Template | Redirect:
    """Adds a category to one kind of site."""
    return await label_lists.add(
        request,
        data,
        ops.AddCategory,
        NEW_CATEGORY_MESSAGES,
        ops.HeadcountCategoryAdd,
        _categories_page,
        "/sites/categories",
    )


@post("/sites/categories/{group:str}/{code:str}/toggle", opt=MANAGE)
async def toggle_category(
    request: SignedInRequest, group: FromPath[str], code: FromPath[str]
) -> Template | Redirect:
    """Retires an active category or restores a retired one; its counts stay."""
    site_group = next((known for known in GROUPS if known == group), None)
    listed = await service.categories(site_group, include_inactive=True) if site_group else []
    active = next((c.active for c in listed if c.code == code), None)
    op = None
    if site_group is not None and active is not None:
        payload = ops.SetCategoryActive(site_group=site_group, code=code, active=not active)
        op = ops.HeadcountCategorySetActive(payload=payload)
    unknown = N_("Unknown category.")
    return await label_lists.toggle(request, op, unknown, _categories_page, "/sites/categories")


ROUTES = [categories_page, add_category, toggle_category]
