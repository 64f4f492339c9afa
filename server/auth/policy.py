"""Who may do what: the one place that decides.

Every route declares a :class:`Permission` in its ``opt``; the app-wide guard checks it
against the signed-in person's role. A route without one is refused to everybody (and a
test fails), so nothing is reachable by accident.
"""

from __future__ import annotations

import enum
from typing import Literal

from server.messages import N_

Role = Literal["city_staff", "overall_manager", "business_manager", "deputy_manager", "operator"]

ROLES: tuple[Role, ...] = (
    "overall_manager",
    "business_manager",
    "deputy_manager",
    "operator",
    "city_staff",
)

# Contractor hierarchy (総括管理責任者 > 業務責任者 > 副責任者 > 業務従事者). City staff stand
# outside it: they read and acknowledge, and only the overall manager invites them.
RANK: dict[str, int] = {
    "overall_manager": 4,
    "business_manager": 3,
    "deputy_manager": 2,
    "operator": 1,
}

ROLE_LABELS: dict[str, str] = {
    "overall_manager": N_("Overall manager"),
    "business_manager": N_("Business manager"),
    "deputy_manager": N_("Deputy manager"),
    "operator": N_("Operator"),
    "city_staff": N_("City staff"),
}


class Permission(enum.Enum):
    """What a route needs."""

    PUBLIC = "public"  # anyone, signed in or not
    SIGNED_IN = "signed_in"  # any active person
    READ_ALL = "read_all"  # read field data and reports
    FIELD_WRITE = "field_write"  # record work sessions, headcounts, incidents
    MANAGE_STAFF = "manage_staff"  # invite, deactivate, re-invite
    MANAGE_SITES = "manage_sites"  # add and retire outreach venues
    PLAN_WORK = "plan_work"  # plan work sessions and staff them
    ACKNOWLEDGE = "acknowledge"  # city staff acknowledge journals and incident reports
    SUBMIT_JOURNAL = "submit_journal"  # the business manager or deputy submits a journal
    AUDIT = "audit"  # read and verify the audit log
    REVIEW_SYNC = "review_sync"  # settle refused and conflicting synced changes; apply exports


CONTRACTOR: frozenset[str] = frozenset(RANK)
MANAGERS: frozenset[str] = frozenset({"overall_manager", "business_manager", "deputy_manager"})
# Who sees the records of every site; the others (operators) see the sites they work at.
EVERY_SITE: frozenset[str] = MANAGERS | {"city_staff"}

GRANTS: dict[Permission, frozenset[str]] = {
    Permission.SIGNED_IN: frozenset(ROLES),
    Permission.READ_ALL: frozenset(ROLES),
    Permission.FIELD_WRITE: CONTRACTOR,
    Permission.MANAGE_STAFF: MANAGERS,
    Permission.MANAGE_SITES: MANAGERS,
    Permission.PLAN_WORK: MANAGERS,
    Permission.ACKNOWLEDGE: frozenset({"city_staff"}),
    Permission.SUBMIT_JOURNAL: frozenset({"business_manager", "deputy_manager"}),
    Permission.AUDIT: frozenset({"overall_manager", "city_staff"}),
    Permission.REVIEW_SYNC: MANAGERS,
}


def allows(permission: Permission, role: str | None) -> bool:
    """Whether someone with ``role`` (None: not signed in) has ``permission``.

    Args:
        permission: What the route needs.
        role: The person's role, or None.

    Returns:
        True when allowed.
    """
    if permission is Permission.PUBLIC:
        return True
    return role is not None and role in GRANTS[permission]


def can_assign_role(actor_role: str, role: str) -> bool:
    """Whether ``actor_role`` may invite (or re-invite, or deactivate) someone with ``role``.

    Managers act only at or below their own rank; only the overall manager handles city staff.

    Args:
        actor_role: The acting manager's role.
        role: The other person's role.

    Returns:
        True when allowed.
    """
    if actor_role not in MANAGERS:
        return False
    if role == "city_staff":
        return actor_role == "overall_manager"
    return role in RANK and RANK[role] <= RANK[actor_role]


def assignable_roles(actor_role: str) -> list[str]:
    """Roles ``actor_role`` may invite, highest first."""
    return [role for role in ROLES if can_assign_role(actor_role, role)]


def lowest_assignable_role(actor_role: str) -> str:
    """The lowest-ranked role ``actor_role`` may invite (operator for every manager): what
    the invite form starts at, so a hurried invite never grants more than it should."""
    ranked = [role for role in assignable_roles(actor_role) if role in RANK]
    return min(ranked, key=RANK.__getitem__, default="")


def sees_every_site(role: str | None) -> bool:
    """Whether someone with ``role`` sees every site's records (managers, city staff).

    Everyone else sees only the sites of the work sessions they are staffed on: their
    tablets pull only those, and their field page lists only their own sessions.
    """
    return role in EVERY_SITE


def landing(role: str) -> str:
    """Where a person lands after signing in: operators on 本日の業務 (their own sessions
    of today), everyone else on the home page."""
    return "/field" if role == "operator" else "/"


def safe_next(value: str | None) -> str | None:
    """``value`` if it is a path on this site to return to after signing in, else None (no
    other host, no scheme, no way back to the sign-in page itself)."""
    if not value or len(value) > 2000 or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(c) < 32 for c in value) or value.split("?")[0] == "/login":
        return None
    return value
