"""Roster pages: who works here, deactivation (asked first) and reactivation.

Each change is an op applied through :func:`server.web.forms.submit`; invites are in
:mod:`server.staff.invite_routes`.
"""

from __future__ import annotations

from litestar import get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from server.auth.policy import Permission
from server.ops.envelope import OpBase
from server.staff import invite_routes, ops, views
from server.web.forms import PathId, submit
from server.web.pages import SignedInRequest

MANAGE = {"permission": Permission.MANAGE_STAFF}


@get("/staff", opt=MANAGE)
async def roster(request: SignedInRequest, done: FromQuery[str | None] = None) -> Template:
    """The roster, pending invites and the invite form."""
    return await views.roster(request, notice=views.NOTICES.get(done or "", ""))


async def _change(
    request: SignedInRequest, op: OpBase, done: str, staff_id: int
) -> Template | Redirect:
    """Apply a change of a person; back to their card, or the roster saying why not."""
    applied, errors = await submit(request, op)
    if applied is None:
        return await views.roster(request, error=" ".join(errors.values()), status=422)
    return Redirect(f"/staff?done={done}#staff-{staff_id}", status_code=303)


@post("/staff/{staff_id:int}/deactivate", opt=MANAGE)
async def deactivate(request: SignedInRequest, staff_id: PathId) -> Template | Redirect:
    """Deactivates a person (op ``staff.deactivate``): signed out at once, passkeys refused."""
    op = ops.StaffDeactivate(payload=ops.DeactivateStaff(staff_id=staff_id))
    return await _change(request, op, "deactivated", staff_id)


@post("/staff/{staff_id:int}/reactivate", opt=MANAGE)
async def reactivate(request: SignedInRequest, staff_id: PathId) -> Template | Redirect:
    """Reactivates a person (op ``staff.reactivate``): their passkeys sign in again."""
    op = ops.StaffReactivate(payload=ops.ReactivateStaff(staff_id=staff_id))
    return await _change(request, op, "reactivated", staff_id)


ROUTES = [roster, deactivate, reactivate, *invite_routes.ROUTES]
