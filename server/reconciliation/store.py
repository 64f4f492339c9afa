"""Hand-written reads of reconciliation: what each device counted at a day's sessions.

The cells (``headcount_cell``) keep totals per slot and category but not per device, so
the per-device totals are summed from the increments of those sessions, in one statement.
"""

from __future__ import annotations

from collections.abc import Sequence

from piccolo.querystring import QueryString

from server import db


async def device_totals(session_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Each session's total per device that counted at it (counts made on the server's
    own pages, without a device, left out)."""
    if not session_ids:
        return {}
    rows = await db.fetch(
        QueryString(
            "SELECT work_session, device_id, SUM(delta) AS n FROM headcount "
            "WHERE {} AND device_id IS NOT NULL GROUP BY work_session, device_id",
            db.one_of("work_session", session_ids),
        )
    )
    found: dict[int, dict[str, int]] = {}
    for row in rows:
        found.setdefault(int(row["work_session"]), {})[str(row["device_id"])] = int(row["n"])
    return found
