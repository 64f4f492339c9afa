"""What tests add, removed between tests in one round trip; what is kept, and why.

Per test this runs once, so it is one connection and one transaction of deletes (on
PostgreSQL one message). Not ``TRUNCATE … CASCADE``: it replaces each table's files, which
costs far more than deleting the few rows a test leaves. ``tests/unit/test_cleanup.py``
holds every table to one list.
"""

from __future__ import annotations

from tests import dbutil

# What tests add, removed between tests (children before parents), by table: "" empties it,
# a WHERE clause keeps the rows it does not match.
CLEANED: dict[str, str] = {
    "incident_report_event": "",
    "incident_report": "",
    "journal_event": "",
    "journal": "",
    "sync_issue": "",
    "device_day_report": "",
    "device": "",
    "incident_revision": "",
    "incident": "",
    "headcount_cell": "",
    "headcount": "",
    "session_check": "",
    "work_session_staff": "",
    "work_session_revision": "",
    "work_session": "",
    "site_day": "",
    # ACTA Nishinomiya's weekend hours are seeded by a migration; tests change other sites'.
    "site_hours": "WHERE site NOT IN (SELECT id FROM site WHERE code = 'acta')",
    "site": "WHERE NOT fixed",
    "login_session": "",
    "webauthn_credential": "",
    "invite": "",
    "staff": "",
    "webauthn_challenge": "",
    "rate_limit": "",
}
# Tables left as they are, and why. None of them may refer to a cleaned table: a delete
# would cascade into it or be refused (the cleanup test checks).
KEPT: dict[str, str] = {
    "audit_event": "the chain: the tests that need it empty reset it themselves",
    "audit_head": "the chain's head, reset with it",
    "headcount_category": "seeded by migrations; tests add their own codes beside them",
    "check_item": "the checklists, seeded by a migration",
    "migration": "Piccolo's record of applied migrations",
}


CLEANUP = tuple(f"DELETE FROM {table} {where}".strip() for table, where in CLEANED.items())


def remove_test_rows(url: str) -> None:
    """Delete what tests add, keeping what migrations seeded (straight SQL, outside the app)."""
    dbutil.execute(url, *CLEANUP)


async def remove_test_rows_async(url: str) -> None:
    """:func:`remove_test_rows` on the caller's event loop (an async fixture's)."""
    await dbutil.execute_async(url, *CLEANUP)


def forget_devices(url: str, device_ids: list[str]) -> None:
    """Delete the devices a test registered, and their kept ops (one transaction)."""
    statements: list[str] = []
    for start in range(0, len(device_ids), 200):
        listed = ", ".join(f"'{d}'" for d in device_ids[start : start + 200])
        statements.append(f"DELETE FROM sync_issue WHERE device_uid IN ({listed})")
        statements.append(f"DELETE FROM device WHERE uid IN ({listed})")
    if statements:
        dbutil.execute(url, *statements)


def clear_session_rows(url: str, session: int) -> None:
    """Delete the headcounts and incidents of ``session``: each example starts clean."""
    dbutil.execute(
        url,
        f"DELETE FROM headcount WHERE work_session = {session}",
        f"DELETE FROM headcount_cell WHERE work_session = {session}",
        "DELETE FROM incident_revision WHERE incident IN "
        f"(SELECT id FROM incident WHERE work_session = {session})",
        f"DELETE FROM incident WHERE work_session = {session}",
    )


# The categories migration m0015 retired (replaced by finer ones): inactive once seeded.
RETIRED_CATEGORIES = (
    ("outreach", "applications"),
    ("outreach", "not_accepted"),
    ("office", "issuance"),
)


def restore_categories(url: str) -> None:
    """Leave the headcount categories as the migrations made them: tests' own removed,
    the seeded ones active again but for those the migrations retired."""
    retired = " OR ".join(
        f"(site_group = '{group}' AND code = '{code}')" for group, code in RETIRED_CATEGORIES
    )
    dbutil.execute(
        url,
        "DELETE FROM headcount_category WHERE code LIKE 'c-%'",
        f"UPDATE headcount_category SET active = NOT ({retired})",
    )
