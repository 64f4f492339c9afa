"""Roster pages: who works here, invites, deactivation."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import get, post
from litestar.response import Template

from server.auth import service as auth
from server.auth.policy import ROLE_LABELS, Permission, assignable_roles
from server.auth.schemas import AuthError
from server.common.text import FreeText
from server.messages import N_
from server.settings import Settings
from server.staff import service
from server.web.dependencies import AppSettings
from server.web.form_fields import Form, FormChoice
from server.web.forms import PathId
from server.web.pages import SignedInRequest, page

MANAGE = {"permission": Permission.MANAGE_STAFF}


class InviteForm(msgspec.Struct):
    """The invite form."""

    display_name: FreeText = ""
    role: FormChoice = ""


# The invite form's field each refusal of ``create_invite`` is about.
INVITE_FIELDS = {
    "control_chars": "display_name",
    "my_number": "display_name",
    "name_invalid": "display_name",
    "role_unknown": "role",
    "role_above": "role",
}


async def _roster(
    request: SignedInRequest, extra: dict[str, Any] | None = None, status: int = 200
) -> Template:
    context = {
        "staff": await service.list_staff(),
        "roles": assignable_roles(request.user.role),
        "role_labels": ROLE_LABELS,
        "form": InviteForm(),
        "errors": {},
        **(extra or {}),
    }
    return page(request, "staff/index.html", context, status_code=status)


def _invite_url(settings: Settings, token: str) -> str:
    return f"{settings.auth.public_url}/invite/{token}"


@get("/staff", opt=MANAGE)
async def roster(request: SignedInRequest) -> Template:
    """The roster with an invite form."""
    return await _roster(request)


@post("/staff/invites", opt=MANAGE)
async def invite(
    request: SignedInRequest, data: Annotated[InviteForm, Form], settings: AppSettings
) -> Template:
    """Creates an invite and shows its one-time link once."""
    try:
        created = await auth.create_invite(
            auth=settings.auth,
            role=data.role,
            display_name=data.display_name,
            actor_id=request.user.staff_id,
            actor_role=request.user.role,
        )
    except AuthError as error:
        field = INVITE_FIELDS.get(error.code, "_")
        extra = {"form": data, "errors": {field: error.message}}
        return await _roster(request, extra, status=error.status)
    return await _roster(request, {"invite_url": _invite_url(settings, created.token)})


@post("/staff/{staff_id:int}/reinvite", opt=MANAGE)
async def reinvite(request: SignedInRequest, staff_id: PathId, settings: AppSettings) -> Template:
    """A new one-time link for someone who lost their passkey."""
    try:
        person = await service.get_staff(staff_id)
        if person is None:
            raise AuthError("staff_unknown", N_("No such active person."))
        created = await auth.create_invite(
            auth=settings.auth,
            role=person.role,
            staff_id=staff_id,
            actor_id=request.user.staff_id,
            actor_role=request.user.role,
        )
    except AuthError as error:
        return await _roster(request, {"error": error.message}, status=error.status)
    return await _roster(request, {"invite_url": _invite_url(settings, created.token)})


@post("/staff/{staff_id:int}/deactivate", opt=MANAGE)
async def deactivate(request: SignedInRequest, staff_id: PathId) -> Template:
    """Deactivates a person: their sessions end and their passkeys stop working at once."""
    try:
        await service.deactivate(
            actor_id=request.user.staff_id, actor_role=request.user.role, staff_id=staff_id
        )
    except service.StaffError as error:
        return await _roster(request, {"error": error.message}, status=400)
    return await _roster(request, {"notice": N_("Deactivated.")})


ROUTES = [roster, invite, reinvite, deactivate]
