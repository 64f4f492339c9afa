"""A pull's reads use their indexes, whatever plan the database caches: it runs them on
generic plans (db.reading(generic_plans=True))."""

from __future__ import annotations

import re
from typing import Any

import httpx
from piccolo.querystring import QueryString

from server import db
from server.headcounts import service as headcounts
from server.ops.context import Actor
from server.sync import pull
from server.work_sessions import reads
from server.work_sessions import store as work_session_store

ENTRIES = 5000  # enough that a plan estimating a third of them may scan instead


class _Undo(Exception):
    """Raised to roll the test's rows back."""


async def _sql(sql: str) -> list[dict[str, Any]]:
    return await db.fetch(QueryString(sql))


async def _plan(query: QueryString) -> str:
    """The plan of ``query`` as a cached statement may run it: PostgreSQL's generic plan
    (the one it keeps once its estimates favour it), SQLite's only plan."""
    if db.is_postgres():
        sql, args = query.compile_string("postgres")
        await _sql("SET LOCAL plan_cache_mode = force_generic_plan")
        await _sql(f"PREPARE plan_test AS {sql}")
        values = ", ".join(_literal(value) for value in args)
        rows = await _sql(f"EXPLAIN EXECUTE plan_test({values})")
        await _sql("DEALLOCATE plan_test")
        return "\n".join(str(row["QUERY PLAN"]) for row in rows)
    rows = await db.fetch(QueryString("EXPLAIN QUERY PLAN {}", query))
    return "\n".join(str(row["detail"]) for row in rows)


def _literal(value: Any) -> str:
    if isinstance(value, list):
        return f"ARRAY[{', '.join(str(int(v)) for v in value)}]::integer[]"
    return str(int(value))


def _scans_the_log(plan: str) -> bool:
    return bool(re.search(r"Seq Scan on audit_event|^SCAN audit_event", plan, re.MULTILINE))


async def _with_a_long_log(statements: list[QueryString]) -> list[str]:
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
            await _sql(fill)
            if db.is_postgres():
                await _sql("ANALYZE audit_event")
            plans = [await _plan(query) for query in statements]
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


SESSIONS = 3000  # past sessions, each with a cell and an operator


def _series(select: str) -> str:
    """``select`` (over ``g``) for g = 1..SESSIONS, in either engine's SQL."""
    if db.is_postgres():
        return f"{select} FROM generate_series(1, {SESSIONS}) AS g"
    return (
        f"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {SESSIONS}) "
        f"{select} FROM s"
    )


async def test_a_pull_pages_reads_use_their_indexes(client: httpx.AsyncClient) -> None:
    """A page's sessions, their staff and their cells are read on their indexes, not by
    scanning the tables, among thousands of past sessions."""
    now = "now()" if db.is_postgres() else "'2026-12-01T00:00:00+00:00'"
    day = "DATE '2020-01-01' + g" if db.is_postgres() else "date('2020-01-01', '+' || g || ' days')"
    plans: list[str] = []
    try:
        async with db.writing():
            await _sql(
                "INSERT INTO work_session (site, work_date, planned_start, planned_end, status, "
                "notes, version, updated_at) "
                + _series(f"SELECT 1, {day}, {now}, {now}, 'closed', 'plan-test', 1, {now}")
            )
            mine = "FROM work_session WHERE notes = 'plan-test'"
            await _sql(
                "INSERT INTO work_session_staff (work_session, staff, duty) "
                f"SELECT id, (SELECT min(id) FROM staff), 'operator' {mine}"
            )
            await _sql(
                "INSERT INTO headcount_cell (work_session, slot_start, category, n) "
                f"SELECT id, planned_start, 'issuance_reserved', 1 {mine}"
            )
            if db.is_postgres():
                await _sql("ANALYZE work_session, work_session_staff, headcount_cell")
            ids = [int(r["id"]) for r in await _sql(f"SELECT id {mine} LIMIT 500")]
            assert len(ids) == 500
            statements = [
                reads.many_query(ids),
                work_session_store.staff_query(ids),
                headcounts.cells_query(ids),
            ]
            plans = [await _plan(query) for query in statements]
            raise _Undo
    except _Undo:
        pass
    assert len(plans) == 3
    tables = ["work_session", "work_session_staff", "headcount_cell"]
    for plan, table in zip(plans, tables, strict=True):
        assert re.search(r"Index (Only )?Scan|USING (INTEGER PRIMARY KEY|INDEX)", plan), plan
        assert not re.search(
            rf"Seq Scan on {table}\b|^SCAN {table}\b|^SCAN (ws|wss)\b", plan, re.MULTILINE
        ), plan
