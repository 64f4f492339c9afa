"""Rules about staff: listing, creating and deactivating people."""

from __future__ import annotations

import datetime as dt

import msgspec

from server import db
from server.audit import service as audit
from server.auth import service as auth
from server.auth.policy import ROLES, can_assign_role
from server.messages import N_
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


async def deactivate(*, actor_id: int, actor_role: str, staff_id: int) -> None:
    """Deactivate a person: their login sessions end at once and their passkeys stop working.

    Args:
        actor_id: The manager doing it.
        actor_role: Their role.
        staff_id: Who is deactivated.

    Raises:
        StaffError: Unknown person, oneself, or someone above the actor's role.
    """
    async with db.writing():
        target = (
            await Staff.select(Staff.role, Staff.active)
            .where(Staff._meta.primary_key == staff_id)
            .first()
        )
        if target is None:
            raise StaffError(N_("No such person."))
        if staff_id == actor_id:
            raise StaffError(N_("You cannot deactivate yourself."))
        if not can_assign_role(actor_role, str(target["role"])):
            raise StaffError(N_("You cannot change someone above your own role."))
        if not target["active"]:
            return
        await Staff.update(
            {Staff.active: False, Staff.deactivated_at: dt.datetime.now(dt.UTC)}
        ).where(Staff._meta.primary_key == staff_id)
        ended = await auth.end_all_sessions(staff_id)
        await audit.record(
            "staff.deactivate",
            actor_id=actor_id,
            target=f"staff:{staff_id}",
            detail={"login_sessions_ended": ended},
        )
