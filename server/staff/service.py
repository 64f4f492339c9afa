"""Rules about staff: listing and creating people, deactivating and reactivating them."""

from __future__ import annotations

from typing import Any

import msgspec

from server.auth import service as auth
from server.auth.policy import ROLES, Permission, can_assign_role
from server.common.errors import OpRejected
from server.messages import N_
from server.ops.context import Applied, ApplyContext
from server.ops.registry import Kind
from server.staff import ops
from server.staff.schemas import StaffOut
from server.staff.tables import Staff


class StaffError(ValueError):
    """A staff change was refused; ``message`` is an English message id for the UI."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def list_staff() -> list[StaffOut]:
    """Everybody, active first, then by name."""
    rows = await Staff.select().order_by(Staff.active, ascending=False).order_by(Staff.display_name)
    return [msgspec.convert(row, StaffOut, strict=False) for row in rows]


async def get_staff(staff_id: int) -> StaffOut | None:
    """One person, or None."""
    row = await Staff.select().where(Staff._meta.primary_key == staff_id).first()
    return None if row is None else msgspec.convert(row, StaffOut, strict=False)


async def create_staff(*, display_name: str, role: str, user_handle: str) -> int:
    """Insert a person (inside the caller's transaction). Returns the new id."""
    if role not in ROLES:
        raise StaffError(N_("Unknown role."))
    rows = await Staff.insert(
        Staff(display_name=display_name, role=role, user_handle=user_handle, active=True)
    ).returning(Staff._meta.primary_key)
    return int(rows[0]["id"])


async def _target(staff_id: int, context: ApplyContext) -> dict[str, Any]:
    """The person a manager changes: not oneself, nobody above the manager's role.

    Raises:
        OpRejected: Unknown person, oneself, or someone above the actor's role.
    """
    target = (
        await Staff.select(Staff.role, Staff.active)
        .where(Staff._meta.primary_key == staff_id)
        .first()
    )
    if target is None:
        raise OpRejected("staff_unknown", N_("No such person."), field="staff_id")
    if staff_id == context.actor.staff_id:
        raise OpRejected("self", N_("You cannot deactivate yourself."), field="staff_id")
    if not can_assign_role(context.actor.role, str(target["role"])):
        raise OpRejected(
            "role_above", N_("You cannot change someone above your own role."), field="staff_id"
        )
    return dict(target)


async def apply_deactivate(payload: ops.DeactivateStaff, context: ApplyContext) -> Applied:
    """Apply ``staff.deactivate``: the person's login sessions end at once, their passkeys
    stop working (sign-in checks ``active``) and their pending new-passkey links are revoked.

    The passkeys are kept, so reactivation lets the same ones sign in again.
    """
    target = await _target(payload.staff_id, context)
    if not target["active"]:
        raise OpRejected(
            "staff_inactive", N_("This person is already deactivated."), field="staff_id"
        )
    await Staff.update({Staff.active: False, Staff.deactivated_at: context.now}).where(
        Staff._meta.primary_key == payload.staff_id
    )
    await auth.end_all_sessions(payload.staff_id)
    await auth.revoke_pending_of(payload.staff_id, context.now)
    return Applied(target=f"staff:{payload.staff_id}", entity_id=payload.staff_id)


async def apply_reactivate(payload: ops.ReactivateStaff, context: ApplyContext) -> Applied:
    """Apply ``staff.reactivate``: the person signs in again with the passkeys they had
    (their old login sessions stay ended, so they sign in afresh)."""
    target = await _target(payload.staff_id, context)
    if target["active"]:
        raise OpRejected("staff_active", N_("This person is already active."), field="staff_id")
    await Staff.update({Staff.active: True, Staff.deactivated_at: None}).where(
        Staff._meta.primary_key == payload.staff_id
    )
    return Applied(target=f"staff:{payload.staff_id}", entity_id=payload.staff_id)


STAFF = Permission.MANAGE_STAFF
KINDS = (
    Kind(ops.StaffDeactivate, STAFF, lambda op, c: apply_deactivate(op.payload, c), synced=False),
    Kind(ops.StaffReactivate, STAFF, lambda op, c: apply_reactivate(op.payload, c), synced=False),
)
"""The staff ops and the rules that apply them (installed by :mod:`server.domains`)."""
