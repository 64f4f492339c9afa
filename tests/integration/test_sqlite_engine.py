"""The SQLite engine: pooled connections, writers that wait their turn without blocking
the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from server.db_engine import PooledSQLiteEngine
from tests import dbutil


async def test_a_writer_waits_for_a_lock_held_elsewhere_without_blocking_the_loop(
    scratch_folder: Path,
) -> None:
    """A write transaction waits for another process's write lock, and the loop runs on."""
    url = dbutil.create_throwaway("sqlite:///", scratch_folder, label="lock")
    path = url.removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None)
    engine = PooledSQLiteEngine(path=path, timeout=5)
    try:
        other.execute("PRAGMA journal_mode=WAL")
        other.execute("CREATE TABLE t (n INTEGER)")
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO t VALUES (1)")

        async def write() -> None:
            async with engine.writing() as transaction:
                transaction.connection.fetch_now("INSERT INTO t VALUES (2)")

        task = asyncio.create_task(write())
        began = time.monotonic()
        await asyncio.sleep(0.3)
        assert time.monotonic() - began < 1.0  # the loop was not held by the waiting writer
        assert not task.done()  # still waiting for the lock, not failed
        other.execute("COMMIT")
        await asyncio.wait_for(task, 5)
        assert other.execute("SELECT n FROM t ORDER BY n").fetchall() == [(1,), (2,)]
    finally:
        other.close()
        await engine.close_pool()
        dbutil.drop_throwaway("sqlite:///", url)


async def test_connections_are_reused_with_their_settings(scratch_folder: Path) -> None:
    """A write transaction commits; its connection goes back to the pool and the next
    statement runs on it, foreign keys on and the busy timeout as configured."""
    url = dbutil.create_throwaway("sqlite:///", scratch_folder, label="pool")
    path = url.removeprefix("sqlite:///")
    engine = PooledSQLiteEngine(path=path, timeout=5)
    try:
        async with engine.writing() as transaction:
            transaction.connection.fetch_now("CREATE TABLE t (n INTEGER)")
            transaction.connection.fetch_now("INSERT INTO t VALUES (7)")
        assert len(engine._idle) == 1
        settings = await engine.run_ddl("SELECT * FROM pragma_busy_timeout, pragma_foreign_keys")
        assert [tuple(row.values()) for row in settings] == [(5000, 1)]
        assert len(engine._idle) == 1
        with sqlite3.connect(path) as check:
            assert check.execute("SELECT n FROM t").fetchall() == [(7,)]
    finally:
        await engine.close_pool()
        dbutil.drop_throwaway("sqlite:///", url)


async def test_concurrent_writers_of_one_process_queue(scratch_folder: Path) -> None:
    """Writers of one process take the write lock in turn: none fails with "database is
    locked", even with no busy timeout to wait in."""
    url = dbutil.create_throwaway("sqlite:///", scratch_folder, label="queue")
    path = url.removeprefix("sqlite:///")
    engine = PooledSQLiteEngine(path=path, timeout=0)
    try:
        await engine.run_ddl("PRAGMA journal_mode=WAL")
        await engine.run_ddl("CREATE TABLE t (n INTEGER)")

        async def write(n: int) -> None:
            async with engine.writing() as transaction:
                transaction.connection.fetch_now("INSERT INTO t VALUES (?)", (n,))
                # Not a wait: hand the loop to the other writers while this one holds the
                # lock, so they contend for it.
                await asyncio.sleep(0)

        await asyncio.gather(*(write(n) for n in range(20)))
        rows = await engine.run_ddl("SELECT count(*) AS n FROM t")
        assert rows == [{"n": 20}]
    finally:
        await engine.close_pool()
        dbutil.drop_throwaway("sqlite:///", url)
