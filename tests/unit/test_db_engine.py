"""The engine module leans on internals of Piccolo and aiosqlite: an upgrade that changes
them fails here, before it can fail in production."""

from __future__ import annotations

import importlib.metadata
import inspect
import re
import sqlite3
from pathlib import Path

import aiosqlite
import pytest
from piccolo.engine.postgres import PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction

from server import db_engine

LOCK = Path(__file__).resolve().parents[2] / "requirements.lock"


@pytest.mark.parametrize("package", sorted(db_engine.PINNED))
def test_the_versions_relied_on_are_the_ones_installed_and_locked(package: str) -> None:
    """The installed version and requirements.lock's are the one the module was written
    against: upgrading means reading :data:`server.db_engine.RELIES_ON` again."""
    pinned = db_engine.PINNED[package]
    assert importlib.metadata.version(package) == pinned
    locked = re.search(rf"^{package}==(\S+)$", LOCK.read_text(encoding="utf-8"), re.MULTILINE)
    assert locked is not None and locked.group(1) == pinned


def test_aiosqlite_connection_keeps_its_worker_thread_before_it_starts() -> None:
    """``aiosqlite.connect`` gives a Connection whose unstarted ``_thread`` can be made a
    daemon."""
    pending = aiosqlite.connect(":memory:")
    assert not pending._thread.is_alive()
    pending._thread.daemon = True
    assert pending._thread.daemon


async def test_aiosqlite_connection_exposes_its_sqlite3_connection() -> None:
    """``_conn`` is the sqlite3 connection itself, usable from the loop's thread when
    opened with ``check_same_thread=False``."""
    connection = await aiosqlite.connect(":memory:", check_same_thread=False)
    try:
        assert isinstance(connection._conn, sqlite3.Connection)
        assert connection._conn.execute("SELECT 41 + 1").fetchall() == [(42,)]
    finally:
        await connection.close()


def test_piccolo_sqlite_transactions_borrow_and_return_the_engines_connection() -> None:
    """A SQLite transaction gets its connection from ``engine.get_connection()`` and hands
    it back with ``close()``: the pool rests on both."""
    assert "self.engine.get_connection()" in inspect.getsource(SQLiteTransaction.get_connection)
    assert "self.connection.close()" in inspect.getsource(SQLiteTransaction.__aexit__)


def test_piccolo_postgres_transactions_end_by_their_flags() -> None:
    """A PostgreSQL transaction's exit commits unless ``_committed`` or ``_rolled_back``
    says it ended already (what the snapshot transaction sets)."""
    assert {"_committed", "_rolled_back"} <= set(PostgresTransaction.__slots__)
    exit_source = inspect.getsource(PostgresTransaction.__aexit__)
    assert "self._committed" in exit_source and "self._rolled_back" in exit_source
    assert "await self.begin()" in inspect.getsource(PostgresTransaction.__aenter__)


@pytest.mark.parametrize("name", ["run_querystring", "run_ddl", "get_connection"])
def test_the_overridden_methods_keep_piccolos_signatures(name: str) -> None:
    """The SQLite engine's overrides take what Piccolo passes them (and only keywords of
    their own after that)."""
    ours = inspect.signature(getattr(db_engine.PooledSQLiteEngine, name)).parameters
    theirs = list(inspect.signature(getattr(SQLiteEngine, name)).parameters)
    assert list(ours)[: len(theirs)] == theirs
    assert all(p.kind == p.KEYWORD_ONLY for p in list(ours.values())[len(theirs) :])
