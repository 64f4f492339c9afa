"""The checklists page: the opening and closing checks of each kind of site, added and
retired by managers (ops ``check_item.add`` and ``check_item.set_active``)."""

from __future__ import annotations

import typing
from typing import Annotated

import msgspec
from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.auth.policy import Permission
from server.common.text import FreeText
from server.messages import N_
from server.web import label_lists
from server.web.form_fields import Form, FormChoice
from server.web.pages import SignedInRequest, request_language
from server.work_sessions import ops, service

TEMPLATE = "work_sessions/checks.html"
READ = {"permission": Permission.READ_ALL}
MANAGE = {"permission": Permission.MANAGE_SITES}
GROUPS: tuple[ops.CheckGroup, ...] = typing.get_args(ops.CheckGroup)
PHASES: tuple[ops.CheckPhase, ...] = typing.get_args(ops.CheckPhase)
PHASE_LABELS = {"open": N_("Opening checks"), "close": N_("Closing checks")}
MESSAGES = {"site_group": N_("Choose where it is checked."), "phase": N_("Choose when.")}


class CheckForm(msgspec.Struct):
    """The add-a-check form, as the browser sends it."""

    site_group: FormChoice = ""
    phase: FormChoice = ""
    label_ja: FreeText = ""
    label_en: FreeText = ""


async def _page(
    request: SignedInRequest,
    errors: dict[str, str] | None = None,
    form: CheckForm | None = None,
    status_code: int = 200,
) -> Template:
    language = request_language(request)
    lists = {
        (group, phase): [
            (line.code, line.label(language), active)
            for line, active in await service.checklist_with_retired(group, phase)
        ]
        for group in GROUPS
        for phase in PHASES
    }
    form = form or CheckForm()
    return label_lists.list_page(
        request, TEMPLATE, form, errors, status_code, lists=lists, phase_labels=PHASE_LABELS
    )


@get("/sites/checks", opt=READ)
async def checks_page(request: SignedInRequest) -> Template:
    """What staff check when a session starts and finishes, at each kind of site."""
    return await _page(request)


@post("/sites/checks", opt=MANAGE)
async def add_check(
    request: SignedInRequest, data: Annotated[CheckForm, Form]
) -> Template | Redirect:
    """Adds a line to one kind of site's opening or closing checklist."""
    return await label_lists.add(
        request, data, ops.AddCheckItem, MESSAGES, ops.CheckItemAdd, _page, "/sites/checks"
    )


@post("/sites/checks/{group:str}/{phase:str}/{code:str}/toggle", opt=MANAGE)
async def toggle_check(
    request: SignedInRequest, group: FromPath[str], phase: FromPath[str], code: FromPath[str]
) -> Template | Redirect:
    """Retires a line in use or restores a retired one; what was recorded stays."""
    site_group = next((known for known in GROUPS if known == group), None)
    when = next((known for known in PHASES if known == phase), None)
    listed = await service.checklist_with_retired(site_group, when) if site_group and when else []
    active = next((on for line, on in listed if line.code == code), None)
    op = None
    if site_group is not None and when is not None and active is not None:
        payload = ops.SetCheckItemActive(
            site_group=site_group, phase=when, code=code, active=not active
        )
        op = ops.CheckItemSetActive(payload=payload)
    unknown = N_("This check is not on this site's list.")
    return await label_lists.toggle(request, op, unknown, _page, "/sites/checks")


ROUTES = [checks_page, add_check, toggle_check]
