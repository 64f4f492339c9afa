"""People and login sessions for tests, made through the app's own services.

The app (``create_app``) must have been built first: it binds the tables to this run's
database. Rows made here are removed by ``tests.support.cleanup.remove_test_rows`` (the
``client`` fixture calls it at teardown).
"""

from __future__ import annotations

import secrets

import httpx

from server import db
from server.auth import service as auth_service
from server.auth.web import SESSION_COOKIE
from server.settings import Settings
from server.staff import service as staff_service
from server.staff.tables import Staff

ANONYMOUS = "anonymous"
DEACTIVATED = "deactivated"


async def make_staff(role: str, *, active: bool = True) -> int:
    """Create a person with ``role`` through ``server.staff.service.create_staff``.

    The user handle is random and the display name unique, so calls never collide.

    Args:
        role: One of ``server.auth.policy.ROLES``.
        active: False deactivates the person right after creation (straight in the table,
            without the service's checks or audit entry).

    Returns:
        The new person's id.
    """
    suffix = secrets.token_hex(4)
    async with db.writing():
        staff_id = await staff_service.create_staff(
            display_name=f"Test {role} {suffix}",
            role=role,
            user_handle=secrets.token_urlsafe(32),
        )
    if not active:
        await deactivate_in_table(staff_id)
    return staff_id


async def deactivate_in_table(staff_id: int) -> None:
    """Set ``active=False`` straight in the staff table, leaving login sessions in place.

    Unlike ``server.staff.service.deactivate`` this ends no session, so a test can prove the
    guard refuses a session whose person is no longer active.
    """
    async with db.writing():
        await Staff.update({Staff.active: False}).where(Staff._meta.primary_key == staff_id)


async def sign_in(client: httpx.AsyncClient, staff_id: int, settings: Settings) -> str:
    """Start a login session for ``staff_id`` and put its cookie on ``client``.

    Any session cookie the client held (set by the test or by a response) is dropped first.

    Args:
        client: The test's HTTP client (``tests.support.harness.open_client``).
        staff_id: Who signs in.
        settings: The app's settings (session lifetimes).

    Returns:
        The session's raw id (the cookie value).
    """
    async with db.writing():
        raw = await auth_service.create_login_session(staff_id, settings.auth)
    sign_out(client)
    client.cookies.set(SESSION_COOKIE, raw)
    return raw


def sign_out(client: httpx.AsyncClient) -> None:
    """Forget the client's session cookie (the session row, if any, stays)."""
    client.cookies.delete(SESSION_COOKIE)


async def make_signed_in(
    client: httpx.AsyncClient, identity: str, settings: Settings
) -> int | None:
    """Make ``client`` act as ``identity``: a role, ``"deactivated"`` or ``"anonymous"``.

    A deactivated identity is created active, signed in, then deactivated in the table, so
    its login session row still exists when the request is made.

    Returns:
        The person's id, or None for anonymous.
    """
    if identity == ANONYMOUS:
        sign_out(client)
        return None
    if identity == DEACTIVATED:
        staff_id = await make_staff("overall_manager")
        await sign_in(client, staff_id, settings)
        await deactivate_in_table(staff_id)
        return staff_id
    staff_id = await make_staff(identity)
    await sign_in(client, staff_id, settings)
    return staff_id


__all__ = [
    "ANONYMOUS",
    "DEACTIVATED",
    "deactivate_in_table",
    "make_signed_in",
    "make_staff",
    "sign_in",
    "sign_out",
]
