"""The SQLite engine: statements on the event loop's thread, waits on the connection's."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from server.db_sqlite import PooledSQLiteEngine
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


async def test_a_free_lock_is_taken_on_the_loops_thread(scratch_folder: Path) -> None:
    """With nobody else writing, a write transaction commits and leaves the busy timeout."""
    url = dbutil.create_throwaway("sqlite:///", scratch_folder, label="free")
    path = url.removeprefix("sqlite:///")
    engine = PooledSQLiteEngine(path=path, timeout=5)
    try:
        async with engine.writing() as transaction:
            transaction.connection.fetch_now("CREATE TABLE t (n INTEGER)")
            transaction.connection.fetch_now("INSERT INTO t VALUES (7)")
            timeout = transaction.connection.fetch_now("PRAGMA busy_timeout")
        assert list(timeout[0].values()) == [5000]
        with sqlite3.connect(path) as check:
            assert check.execute("SELECT n FROM t").fetchall() == [(7,)]
    finally:
        await engine.close_pool()
        dbutil.drop_throwaway("sqlite:///", url)
