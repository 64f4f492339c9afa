"""The audit entries a test made. Cleanup between tests empties the domain tables, so ids
come again; the audit log is never emptied (it is a hash chain), so a test reads only the
entries after the log's head when it began."""

from __future__ import annotations

from collections.abc import Callable

from tests import dbutil

Actors = Callable[[str, str], list[tuple[object, ...]]]


def head(url: str) -> int:
    """The newest entry's ``seq`` (0 for an empty log)."""
    return int(dbutil.fetch(url, "SELECT COALESCE(MAX(seq), 0) FROM audit_event")[0][0])


def since_now(database_url: str) -> Actors:
    """``audited(action, target)``: the actors of the entries of ``action`` on ``target``
    made from now on, oldest first."""
    since = head(database_url)

    def actors(action: str, target: str) -> list[tuple[object, ...]]:
        return dbutil.fetch(
            database_url,
            f"SELECT actor_id FROM audit_event WHERE action = '{action}' "
            f"AND target = '{target}' AND seq > {since} ORDER BY seq",
        )

    return actors
