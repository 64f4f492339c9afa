"""The SQLite engine: Piccolo's, with reused connections and one writer at a time.

Piccolo's SQLite engine opens a new connection (and so a new aiosqlite thread) for every
transaction and for every query outside one, and runs ``PRAGMA foreign_keys = 1`` before
every statement. On the push path that doubled the round trips and added a thread start
to each request. Here connections are kept in a small pool (their pragma set once), and
writers of one process queue on an asyncio lock before ``BEGIN IMMEDIATE``: they wait
their turn without spinning on SQLite's busy timeout, which under 20 devices pushing at
once had run out ("database is locked"). Writers in other processes still meet the busy
timeout.

Statements that cannot wait run on the event loop's own thread: a hop to aiosqlite's
thread and back costs about 80 µs, a point query or a small insert a few. A statement
cannot wait when it runs inside a transaction (a write transaction holds the write lock
from ``BEGIN IMMEDIATE``; a read transaction only reads, and in WAL mode readers never
wait for writers) or is a read on its own. What can wait goes to the connection's
thread: ``COMMIT`` (the WAL's fsync, a checkpoint), a write outside a transaction, and
``BEGIN IMMEDIATE`` when the lock is taken (another process's writer: it is first tried
here with no busy timeout, then waited for there).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory

POOL_IDLE_MAX = 8
# Statements that may wait for a lock or the disk: sent to the connection's thread.
MAY_WAIT = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE", "COMMIT", "END")
TAKE_LOCK = "BEGIN IMMEDIATE"


class PooledConnection:
    """An aiosqlite connection whose ``close`` hands it back to the pool."""

    __slots__ = ("_connection", "_engine")

    def __init__(self, connection: aiosqlite.Connection, engine: PooledSQLiteEngine) -> None:
        self._connection = connection
        self._engine = engine

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    async def close(self) -> None:
        """Give the connection back (rolled back if a transaction was left open)."""
        await self._engine.release(self._connection)

    def fetch_now(self, query: str, args: Any = ()) -> list[Any]:
        """Run one statement that cannot wait on this thread (see the module's notes).

        Returns:
            Its rows, as dicts.
        """
        cursor = self._connection._conn.execute(query, args)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    def execute_many_now(self, query: str, rows: list[tuple[Any, ...]]) -> int:
        """``executemany`` on this thread, in a transaction (see the module's notes): one
        prepared statement run once per row, cheaper than one statement of many rows.

        Returns:
            How many rows it changed.
        """
        cursor = self._connection._conn.executemany(query, rows)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    async def execute(self, sql: str, parameters: Any = None) -> None:
        """Piccolo's transaction statements: ``COMMIT``, and ``BEGIN IMMEDIATE`` when the
        lock is taken, on the connection's thread; the rest (``BEGIN IMMEDIATE`` when the
        lock is free, deferred ``BEGIN``, savepoints, ``ROLLBACK``) here."""
        statement = sql.lstrip().upper()
        if statement.startswith(TAKE_LOCK) and self._try_now(sql):
            return
        if statement.startswith(MAY_WAIT):
            await self._connection.execute(sql, parameters)
        else:
            self.fetch_now(sql, parameters or ())

    def _try_now(self, sql: str) -> bool:
        """Take the write lock here if nobody holds it (no other process writes, the
        common case); False when it is taken, to wait on the connection's thread."""
        raw = self._connection._conn
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            raw.execute(sql)
        except sqlite3.OperationalError as error:
            # The primary code: extended ones (SQLITE_BUSY_RECOVERY, …) are busy too.
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            return False
        finally:
            raw.execute(f"PRAGMA busy_timeout = {self._engine.busy_timeout_ms}")
        return True


class PooledSQLiteEngine(SQLiteEngine):
    """A SQLite engine that reuses connections and serializes this process's writers.

    It also does not touch the file when constructed (Piccolo's checks the version).
    """

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._idle: list[aiosqlite.Connection] = []
        self.busy_timeout_ms = int(float(connection_kwargs.get("timeout", 5.0)) * 1000)
        self._write_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    async def check_version(self) -> None:
        """Skip the constructor's version check."""

    async def _open(self) -> aiosqlite.Connection:
        # Used from the event loop's thread too (``fetch_now``), one task at a time.
        pending = aiosqlite.connect(**self.connection_kwargs, check_same_thread=False)
        # An idle pooled connection must not keep the interpreter alive at exit.
        pending._thread.daemon = True
        connection = await pending
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def get_connection(self) -> Any:
        """A connection from the pool, or a new one."""
        connection = self._idle.pop() if self._idle else await self._open()
        return PooledConnection(connection, self)

    async def release(self, connection: aiosqlite.Connection) -> None:
        """Return a connection to the pool (closing it when the pool is full)."""
        try:
            if connection.in_transaction:
                await connection.rollback()
        except Exception:  # a broken connection is just dropped
            await connection.close()
            return
        if len(self._idle) < POOL_IDLE_MAX:
            self._idle.append(connection)
        else:
            await connection.close()

    async def close_pool(self) -> None:
        """Close every idle connection (the app's shutdown)."""
        while self._idle:
            await self._idle.pop().close()

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        pooled = await self.get_connection()
        try:
            # Piccolo's queries outside a transaction (pages, reports) may be long or
            # write: they keep to the connection's thread.
            return await pooled._connection.execute_fetchall(query, args or [])
        finally:
            await pooled.close()

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        return connection.fetch_now(query, args or ())

    def _write_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._write_locks.get(loop)
        if lock is None:
            lock = self._write_locks[loop] = asyncio.Lock()
        return lock

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[Any]:
        """A ``BEGIN IMMEDIATE`` transaction, after this process's earlier writers.

        Inside a transaction already open, it joins that one.
        """
        if self.current_transaction.get() is not None:
            async with self.transaction(transaction_type=TransactionType.immediate) as joined:
                yield joined
            return
        async with (
            self._write_lock(),
            self.transaction(transaction_type=TransactionType.immediate) as transaction,
        ):
            yield transaction
