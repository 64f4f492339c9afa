"""A pull's reads of the audit log use its index, whatever plan the database caches."""

from __future__ import annotations

import re
from typing import Any

import httpx

from server import db
from server.sync import pull
from server.sync.context import Actor

ENTRIES = 5000  # enough that a plan estimating a third of them may scan instead


class _Undo(Exception):
    """Raised to roll the test's rows back."""


async def _plan(sql: str, args: tuple[Any, ...]) -> str:
    """The plan of ``sql`` as a cached statement may run it: PostgreSQL's generic plan
    (the one it keeps once its estimates favour it), SQLite's only plan."""
    if db.is_postgres():
        marks = [f"${i}" for i in range(1, len(args) + 1)]
        await db.fetch("SET LOCAL plan_cache_mode = force_generic_plan")
        await db.fetch(f"PREPARE plan_test AS {sql.format(*marks)}")
        values = ", ".join(str(int(value)) for value in args)
        rows = await db.fetch(f"EXPLAIN EXECUTE plan_test({values})")
        await db.fetch("DEALLOCATE plan_test")
        return "\n".join(str(row["QUERY PLAN"]) for row in rows)
    rows = await db.fetch(f"EXPLAIN QUERY PLAN {sql}", *args)
    return "\n".join(str(row["detail"]) for row in rows)


def _scans_the_log(plan: str) -> bool:
    return bool(re.search(r"Seq Scan on audit_event|^SCAN audit_event", plan, re.MULTILINE))


async def _with_a_long_log(statements: list[db.Query]) -> list[str]:
    """Plans of ``statements`` with ``ENTRIES`` more audit entries, all rolled back."""
    fill = (
        "INSERT INTO audit_event (seq, occurred_at, action, target, detail, prev_hash, hash) "
        + (
            "SELECT 900000000 + g, now(), 'test.plan', 'test:0', '[]', '', '' "
            f"FROM generate_series(1, {ENTRIES}) AS g"
            if db.is_postgres()
            else "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g "
            f"WHERE n < {ENTRIES}) SELECT 900000000 + n, '2026-12-01T00:00:00+00:00', "
            "'test.plan', 'test:0', '[]', '', '' FROM g"
        )
    )
    plans: list[str] = []
    try:
        async with db.writing():
            await db.fetch(fill)
            if db.is_postgres():
                await db.fetch("ANALYZE audit_event")
            plans = [await _plan(sql, args) for sql, args in statements]
            raise _Undo
    except _Undo:
        pass
    return plans


async def test_an_operators_pull_reads_the_log_on_its_index(client: httpx.AsyncClient) -> None:
    """The entries after a cursor and the 'anything new' check of an operator's sites scan
    no more of the audit log than what follows the cursor (a generic plan had scanned it
    all, on every empty pull)."""
    cursor = 900000000 + ENTRIES  # past every entry: an empty pull
    operator = Actor(staff_id=1, role="operator")
    sites = pull._sites_query(operator, cursor)
    assert sites is not None
    plans = await _with_a_long_log([pull.after_query(cursor, 500), sites])
    assert len(plans) == 2
    for plan in plans:
        assert "audit_event" in plan
        assert not _scans_the_log(plan), plan
