"""The pages of lists managers keep by label (headcount categories, checklists): the lists by
kind of site with a form to add to them, and on each entry a button that retires or restores
it. One set of answers serves both, so they refuse and redirect alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec
from litestar.response import Redirect, Template

from server.common.labels import SITE_GROUP_LABELS
from server.ops.envelope import OpBase, Payload
from server.web.forms import on_form, submit, submit_form
from server.web.pages import SignedInRequest, page, translate

Shown = Callable[[SignedInRequest, dict[str, str] | None, Any, int], Awaitable[Template]]
"""A list page shown again: ``(request, errors, the add form as sent or None, status)``."""


def list_page(
    request: SignedInRequest,
    template: str,
    form: msgspec.Struct,
    errors: dict[str, str] | None,
    status_code: int,
    **lists: Any,
) -> Template:
    """``template`` with ``lists``, the site groups' names and the add form (``errors``
    placed on its fields)."""
    context = {
        **lists,
        "group_labels": SITE_GROUP_LABELS,
        "errors": on_form(errors or {}, form.__struct_fields__),
        "form": form,
    }
    return page(request, template, context, status_code=status_code)


async def add(
    request: SignedInRequest,
    data: msgspec.Struct,
    payload: type[Payload],
    messages: Mapping[str, str],
    op: type[OpBase],
    shown: Shown,
    back: str,
) -> Template | Redirect:
    """Add what the form ``data`` says (:func:`server.web.forms.submit_form`), then go
    ``back``; a refusal shows the page again with the form as sent."""
    _, errors = await submit_form(request, data, payload, messages, op)
    if errors:
        return await shown(request, errors, data, 422)
    return Redirect(back, status_code=303)


async def toggle(
    request: SignedInRequest, op: OpBase | None, unknown: str, shown: Shown, back: str
) -> Template | Redirect:
    """Retire or restore an entry with ``op``, then go ``back``; None (the path names no
    entry) is answered 404 with ``unknown``, a refusal 422."""
    if op is None:
        return await shown(request, {"_": translate(request, unknown)}, None, 404)
    _, errors = await submit(request, op)
    if errors:
        return await shown(request, errors, None, 422)
    return Redirect(back, status_code=303)
