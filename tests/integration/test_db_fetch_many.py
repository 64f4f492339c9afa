"""Several SELECTs read together give what each gives alone."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest
from piccolo.querystring import QueryString

from server import db
from server.settings import Settings
from server.work_sessions import service as work_sessions
from tests import dbutil
from tests.support.field import open_session


async def test_fetch_many_gives_each_querys_rows_apart(client: httpx.AsyncClient) -> None:
    """Each query gets its own arguments, in order, and its own rows; no rows is []."""
    queries = [
        QueryString("SELECT id, name_ja FROM site WHERE id = {} OR id = {} ORDER BY id", 2, 1),
        QueryString(
            "SELECT code FROM headcount_category WHERE site_group = {} ORDER BY code", "office"
        ),
        QueryString("SELECT id FROM site WHERE {} ORDER BY id", db.one_of("id", [3, -1])),
        QueryString("SELECT id FROM site WHERE id = {}", -1),
    ]
    together = await db.fetch_many(*queries)
    alone = [await db.fetch(query) for query in queries]
    assert together == alone
    assert [r["id"] for r in together[0]] == [1, 2] and together[1]
    assert together[2] == [{"id": 3}] and together[3] == []


async def test_sessions_read_together_are_the_sessions_read_alone(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Work sessions read through fetch_many (JSON on PostgreSQL) equal get_many's."""
    ids = await open_session(settings, site_id=1)
    (rows,) = await db.fetch_many(work_sessions.many_query([ids["session"]]))
    assert work_sessions.from_rows(rows) == await work_sessions.get_many(
        [ids["session"]], with_staff=False
    )


@pytest.mark.parametrize("generic_plans", [False, True])
async def test_a_read_transaction_sees_one_snapshot(
    client: httpx.AsyncClient, database_url: str, generic_plans: bool
) -> None:
    """Statements inside db.reading() see the database as at its first read: a write that
    another connection commits in between shows in neither."""
    count = QueryString("SELECT count(*) AS n FROM site")
    async with db.reading(generic_plans=generic_plans):
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


class _Failed(Exception):
    """Raised inside a read transaction."""


async def _plan_modes() -> list[str]:
    """PostgreSQL: plan_cache_mode on every connection of the pool, all held at once."""
    pool = db._anchor()._meta.db.pool
    async with contextlib.AsyncExitStack() as stack:
        held = [await stack.enter_async_context(pool.acquire()) for _ in range(pool.get_size())]
        return [str(await c.fetchval("SHOW plan_cache_mode")) for c in held]


async def test_generic_plans_last_as_long_as_the_read_transaction(
    client: httpx.AsyncClient,
) -> None:
    """db.reading(generic_plans=True) runs its statements on generic plans (PostgreSQL),
    and neither a commit nor a rollback leaves that on a pooled connection."""
    show = QueryString(
        "SHOW plan_cache_mode" if db.is_postgres() else "SELECT 'no plan cache' AS p"
    )
    async with db.reading(generic_plans=True):
        inside = await db.fetch(show)
    with contextlib.suppress(_Failed):
        async with db.reading(generic_plans=True):
            await db.fetch(show)
            raise _Failed
    outside = await asyncio.gather(*(db.fetch(show) for _ in range(4)))
    if db.is_postgres():
        assert inside == [{"plan_cache_mode": "force_generic_plan"}]
        assert outside == [[{"plan_cache_mode": "auto"}]] * 4
        assert set(await _plan_modes()) == {"auto"}
    else:  # nothing to set: the reads work, before and after a rollback
        assert inside == [{"p": "no plan cache"}] and outside == [inside] * 4
