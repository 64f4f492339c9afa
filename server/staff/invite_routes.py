"""Invite links from the roster: made (POST, then 303 to the invite's page), shown once,
and revoked (asked first).

Only the token's digest is stored, so the link can be shown only right after it is made.
The POST hands the token to the page it redirects to in a one-time cookie (HttpOnly,
SameSite=Strict, scoped to ``/staff/invites/``, a few minutes at most) that the page
clears as it shows the link: the token is never in a URL (logged, kept in history or
cached), and a reload shows no link and makes no second invite.
"""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from server.auth import service as auth
from server.auth.ops import InviteRevoke, RevokeInvite
from server.auth.policy import ROLE_LABELS, Permission
from server.common.parsing import show_time
from server.messages import N_
from server.ops.envelope import OpBase
from server.settings import Settings
from server.staff import views
from server.web.dependencies import AppSettings
from server.web.form_fields import Form
from server.web.forms import PathId, on_form, submit
from server.web.pages import SignedInRequest, found, page

MANAGE = {"permission": Permission.MANAGE_STAFF}
FLASH_COOKIE = "madoguchi_invite_link"
FLASH_PATH = "/staff/invites/"
FLASH_SECONDS = 300


def _flash(value: str, settings: Settings) -> Cookie:
    """The one-time cookie carrying ``{invite id}.{token}`` (empty ``value`` clears it)."""
    return Cookie(
        key=FLASH_COOKIE,
        value=value,
        max_age=FLASH_SECONDS if value else 0,
        httponly=True,
        samesite="strict",
        secure=settings.auth.secure_cookies,
        path=FLASH_PATH,
    )


async def _make(
    request: SignedInRequest, op: OpBase, token: str, settings: Settings
) -> tuple[Redirect | None, dict[str, str]]:
    """Apply an ``invite.create`` op; on success the redirect to its page, link in hand."""
    applied, errors = await submit(request, op)
    if applied is None:
        return None, errors
    response = Redirect(f"{FLASH_PATH}{applied.entity_id}", status_code=303)
    response.set_cookie(_flash(f"{applied.entity_id}.{token}", settings))
    return response, {}


@post("/staff/invites", opt=MANAGE)
async def invite(
    request: SignedInRequest, data: Annotated[views.InviteForm, Form], settings: AppSettings
) -> Template | Redirect:
    """Creates an invite (op ``invite.create``) and goes to its page, which shows the link."""
    op, token = auth.new_invite(settings.auth, role=data.role, display_name=data.display_name)
    made, errors = await _make(request, op, token, settings)
    if made is not None:
        return made
    placed = on_form(errors, views.InviteForm.__struct_fields__)
    return await views.roster(request, form=data, errors=placed, status=422)


@post("/staff/{staff_id:int}/reinvite", opt=MANAGE)
async def reinvite(
    request: SignedInRequest, staff_id: PathId, settings: AppSettings
) -> Template | Redirect:
    """A new one-time link for someone who lost their passkey (op ``invite.create``)."""
    op, token = auth.new_invite(settings.auth, staff_id=staff_id)
    made, errors = await _make(request, op, token, settings)
    if made is not None:
        return made
    return await views.roster(request, error=" ".join(errors.values()), status=422)


@get("/staff/invites/{invite_id:int}", opt=MANAGE)
async def invite_page(
    request: SignedInRequest, invite_id: PathId, settings: AppSettings
) -> Template:
    """An invite: its link the one time the cookie of its POST brings it, then only what it is
    for and its state (revoked from the roster). Never stored by a browser or a cache."""
    invite = found(request, await auth.get_invite(invite_id), N_("No such invite."))
    flash = request.cookies.get(FLASH_COOKIE, "")
    shown_id, _, token = flash.partition(".")
    shown = shown_id == str(invite_id) and invite.state == "pending"
    link = ""
    if shown and await auth.is_token_of(invite_id, token):
        link = f"{settings.auth.public_url}/invite/{token}"
    context = {
        "invite": invite,
        "link": link,
        "role_labels": ROLE_LABELS,
        "show_time": show_time,
    }
    response = page(request, "staff/invite.html", context)
    response.headers["Cache-Control"] = "no-store"
    if flash:
        response.set_cookie(_flash("", settings))
    return response


@post("/staff/invites/{invite_id:int}/revoke", opt=MANAGE)
async def revoke(request: SignedInRequest, invite_id: PathId) -> Template | Redirect:
    """Revokes a pending invite (op ``invite.revoke``): its link is refused from now on."""
    applied, errors = await submit(request, InviteRevoke(payload=RevokeInvite(invite_id=invite_id)))
    if applied is None:
        return await views.roster(request, error=" ".join(errors.values()), status=422)
    return Redirect("/staff?done=revoked", status_code=303)


ROUTES = [invite, reinvite, invite_page, revoke]
