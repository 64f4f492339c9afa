"""What the roster page shows: people (with deactivate or reactivate), pending invites
(with revoke) and the invite form, whose role starts at the lowest the manager may give."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.response import Template

from server.auth import service as auth
from server.auth.policy import ROLE_LABELS, assignable_roles, lowest_assignable_role
from server.common.parsing import show_time
from server.common.text import FreeText
from server.messages import N_
from server.staff import service
from server.web.form_fields import FormChoice
from server.web.pages import SignedInRequest, page

# What the roster says after a change it redirected to (``?done=``).
NOTICES: dict[str, str] = {
    "deactivated": N_(
        "Deactivated: they were signed out everywhere. Reactivate them from their card if "
        "this was a mistake."
    ),
    "reactivated": N_("Reactivated: they sign in again with their passkey."),
    "revoked": N_("The invite link was revoked. It no longer works."),
}


class InviteForm(msgspec.Struct):
    """The invite form, as the browser sends it."""

    display_name: FreeText = ""
    role: FormChoice = ""


async def roster(
    request: SignedInRequest,
    *,
    form: InviteForm | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> Template:
    """The roster page; ``errors`` (translated) are the invite form's, ``error`` (translated)
    a refused change of a person or an invite, ``notice`` a message id."""
    role = request.user.role
    context: dict[str, Any] = {
        "staff": await service.list_staff(),
        "pending": await auth.list_pending(),
        "roles": assignable_roles(role),
        "role_labels": ROLE_LABELS,
        "form": form or InviteForm(role=lowest_assignable_role(role)),
        "errors": errors or {},
        "error": error,
        "notice": notice,
        "show_time": show_time,
    }
    return page(request, "staff/index.html", context, status_code=status)
