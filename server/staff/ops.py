"""Staff ops: a manager deactivates a person or reactivates them (rules in ``service.py``).

Only the server makes these (a form on the roster), never a tablet.
"""

from __future__ import annotations

from server.common.text import Id
from server.ops.envelope import OpBase, Payload


class DeactivateStaff(Payload, frozen=True, kw_only=True):
    """``staff.deactivate``: the person may no longer sign in; their records stay."""

    staff_id: Id


class StaffDeactivate(OpBase, frozen=True, tag="staff.deactivate"):
    """Op: deactivate a person."""

    payload: DeactivateStaff


class ReactivateStaff(Payload, frozen=True, kw_only=True):
    """``staff.reactivate``: a deactivated person may sign in again with their passkeys."""

    staff_id: Id


class StaffReactivate(OpBase, frozen=True, tag="staff.reactivate"):
    """Op: reactivate a person."""

    payload: ReactivateStaff
