"""Several SELECTs read together give what each gives alone."""

from __future__ import annotations

import httpx

from server import db
from server.settings import Settings
from server.work_sessions import service as work_sessions
from tests import dbutil
from tests.support.field import open_session


async def test_fetch_many_gives_each_querys_rows_apart(client: httpx.AsyncClient) -> None:
    """Each query gets its own arguments, in order, and its own rows; no rows is []."""
    queries: list[db.Query] = [
        ("SELECT id, name_ja FROM site WHERE id = {} OR id = {} ORDER BY id", (2, 1)),
        ("SELECT code FROM headcount_category WHERE site_group = {} ORDER BY code", ("office",)),
        ("SELECT id FROM site WHERE id = {}", (-1,)),
    ]
    together = await db.fetch_many(*queries)
    alone = [await db.fetch(sql, *args) for sql, args in queries]
    assert together == alone
    assert [r["id"] for r in together[0]] == [1, 2] and together[1] and together[2] == []


async def test_sessions_read_together_are_the_sessions_read_alone(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Work sessions read through fetch_many (JSON on PostgreSQL) equal get_many's."""
    ids = await open_session(settings, site_id=1)
    (rows,) = await db.fetch_many(work_sessions.many_query([ids["session"]]))
    assert work_sessions.from_rows(rows) == await work_sessions.get_many(
        [ids["session"]], with_staff=False
    )


async def test_a_read_transaction_sees_one_snapshot(
    client: httpx.AsyncClient, database_url: str
) -> None:
    """Statements inside db.reading() see the database as at its first read: a write that
    another connection commits in between shows in neither."""
    count = "SELECT count(*) AS n FROM site"
    async with db.reading():
        before = await db.fetch(count)
        dbutil.execute(
            database_url,
            "INSERT INTO site (code, name_ja, name_en, address, kind, venue_kind, notes, fixed, "
            "active) VALUES ('read-test', '読取試験', 'Read test', '', 'outreach_venue', "
            "'other', '', FALSE, TRUE)",
        )
        during = await db.fetch(count)
    after = await db.fetch(count)
    assert during == before
    assert after[0]["n"] == before[0]["n"] + 1
