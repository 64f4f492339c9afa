"""Hand-written statements of sign-in: the login-session lookup every request of a
signed-in person runs, and the shared rate-limit counter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.querystring import QueryString

from server import db
from server.auth.tables import RateLimit

SESSION = (
    "SELECT ls.last_seen_at, ls.expires_at, s.id AS staff_id, s.display_name, s.role, "
    "s.active FROM login_session ls JOIN staff s ON s.id = ls.staff WHERE ls.id_hash = {}"
)


async def login_session(id_hash: str) -> dict[str, Any] | None:
    """A login session's times and its person, by the digest of its cookie."""
    rows = await db.fetch(QueryString(SESSION, id_hash))
    return rows[0] if rows else None


async def count_attempt(key: str, now: dt.datetime, window_start: dt.datetime) -> int:
    """Count one attempt for ``key`` (a new window when the last began before
    ``window_start``), in one atomic upsert; the attempts in its window so far."""
    rows = await RateLimit.raw(
        "INSERT INTO rate_limit (key, window_start, attempts) VALUES ({}, {}, 1) "
        "ON CONFLICT (key) DO UPDATE SET "
        "attempts = CASE WHEN rate_limit.window_start < {} THEN 1 "
        "ELSE rate_limit.attempts + 1 END, "
        "window_start = CASE WHEN rate_limit.window_start < {} THEN {} "
        "ELSE rate_limit.window_start END "
        "RETURNING attempts",
        key,
        now,
        window_start,
        window_start,
        now,
    )
    return int(rows[0]["attempts"])
