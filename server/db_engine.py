"""The database engines: Piccolo's, adapted where the app needs more than their public API.

This is the one module that leans on internals of Piccolo and aiosqlite (listed in
:data:`RELIES_ON`); the versions it was written against are pinned in :data:`PINNED` and in
requirements.lock, and tests/unit/test_db_engine.py fails when an upgrade changes them.

SQLite: Piccolo's engine opens a new connection (and so a new aiosqlite thread) for every
transaction and for every query outside one, and runs ``PRAGMA foreign_keys = 1`` before
every statement. Here connections are kept in a small pool (their pragma set once), and
writers of one process queue on an asyncio lock before ``BEGIN IMMEDIATE``: they wait their
turn without spinning on SQLite's busy timeout, which under 20 devices pushing at once had
run out ("database is locked"). Writers in other processes still meet the busy timeout.

Statements that cannot wait run on the event loop's own thread, sparing the hop to
aiosqlite's thread and back that costs more than a point query or a small insert (the
figures and how to undo it: the ledger in docs/performance.md). A statement cannot wait
when it runs inside a transaction (a write transaction holds the write lock from
``BEGIN IMMEDIATE``; a read transaction only reads, and in WAL mode readers never wait for
writers) or is a read on its own. ``COMMIT`` runs here too: in WAL mode it waits for no
lock, only for the disk (the WAL's fsync, now and then an automatic checkpoint). What can
wait for a lock goes to the connection's thread: a write outside a transaction, and
``BEGIN IMMEDIATE`` when the lock is taken (another process's writer: it is first tried
here with no busy timeout, then waited for there). The price: a long read (a pull page of
hundreds of sessions) and a commit's fsync hold the loop while they run.

PostgreSQL: an engine that connects only when used, and a read transaction that asks for
its snapshot (and its plans) in its ``BEGIN``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import aiosqlite
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory
from piccolo.querystring import QueryString

# The versions this module was written and tested against (as requirements.lock pins them).
PINNED = {"piccolo": "1.38.0", "aiosqlite": "0.22.1"}
# What of theirs beyond the public API it uses; tests/unit/test_db_engine.py checks each.
RELIES_ON = (
    "aiosqlite.Connection._thread: made a daemon, so an idle pooled connection does not "
    "keep the interpreter alive at exit",
    "aiosqlite.Connection._conn: the sqlite3 connection, used from the event loop's thread "
    "for statements that cannot wait (opened with check_same_thread=False)",
    "piccolo SQLiteTransaction: gets its connection from engine.get_connection() and gives "
    "it back with connection.close()",
    "piccolo PostgresTransaction: __aexit__ commits unless _committed or _rolled_back",
)

POOL_IDLE_MAX = 8
# Statements that may wait for a lock: sent to the connection's thread.
MAY_WAIT = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")
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

    async def fetch(self, query: str, args: Any = ()) -> list[Any]:
        """Run one statement that may wait, on the connection's thread; its rows as dicts."""
        return list(await self._connection.execute_fetchall(query, args))

    def fetch_now(self, query: str, args: Any = ()) -> list[Any]:
        """Run one statement that cannot wait, on this thread (see the module's notes).

        Returns:
            Its rows, as dicts.
        """
        cursor = self._connection._conn.execute(query, args)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    async def execute_many(self, query: str, rows: list[tuple[Any, ...]]) -> int:
        """``executemany`` in a transaction, on this thread: one prepared statement run once
        per row, cheaper than one statement of many rows.

        Returns:
            How many rows it changed.
        """
        cursor = self._connection._conn.executemany(query, rows)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    async def execute(self, sql: str, parameters: Any = None) -> None:
        """Piccolo's transaction statements: ``BEGIN IMMEDIATE`` when the lock is taken, on
        the connection's thread; the rest (``BEGIN IMMEDIATE`` when the lock is free,
        deferred ``BEGIN``, savepoints, ``COMMIT``, ``ROLLBACK``) here."""
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
        self._write_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self.busy_timeout_ms = int(float(connection_kwargs.get("timeout", 5.0)) * 1000)

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

    async def run_querystring(
        self, querystring: QueryString, in_pool: bool = False, *, hand_written: bool = False
    ) -> Any:
        """Run a query on the open transaction's connection, or else on a pooled one.

        Args:
            querystring: The statement.
            in_pool: Piccolo's (every SQLite connection here is pooled).
            hand_written: A store's statement (:func:`server.db.fetch`): a read on its own
                runs here too. Piccolo's queries outside a transaction (pages, reports) may
                be long: they keep to the connection's thread.
        """
        query, args = querystring.compile_string(engine_type=self.engine_type)
        return await self.run_compiled(query, args, reads_here=hand_written)

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        """Run a statement without arguments, as :meth:`run_querystring` does."""
        return await self.run_compiled(ddl, [])

    async def run_compiled(self, query: str, args: Any, *, reads_here: bool = False) -> list[Any]:
        """Run a compiled statement (``?`` marks): in a transaction here, else on a pooled
        connection (a read here if ``reads_here``, anything else on its thread). Its rows
        as dicts."""
        transaction = self.current_transaction.get()
        if transaction is not None:
            connection: PooledConnection = transaction.connection
            return connection.fetch_now(query, args)
        pooled: PooledConnection = await self.get_connection()
        try:
            if reads_here and query.lstrip()[:6].upper() == "SELECT":
                return pooled.fetch_now(query, args)
            return await pooled.fetch(query, args)
        finally:
            await pooled.close()

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


class LazyPostgresEngine(PostgresEngine):
    """A PostgreSQL engine that does not connect when constructed.

    Piccolo's engine checks the server version in its constructor, which would make
    importing ``piccolo_conf`` or building the app open a connection. We connect when the
    app starts (the pool) or a query runs.
    """

    async def check_version(self) -> None:
        """Skip the constructor's version check."""

    async def prep_database(self) -> None:
        """No extensions to create."""


class SnapshotTransaction(PostgresTransaction):
    """A PostgreSQL transaction that begins REPEATABLE READ in its ``BEGIN``, and may keep
    to generic plans, asked for in the same round trip (asyncpg's own transaction would
    take a second one for the setting)."""

    __slots__ = ("generic_plans",)

    def __init__(self, engine: PostgresEngine, *, generic_plans: bool) -> None:
        super().__init__(engine=engine)
        self.generic_plans = generic_plans

    async def begin(self) -> None:
        """``BEGIN`` and the plan setting, in one simple query."""
        await self.connection.execute(
            "BEGIN ISOLATION LEVEL REPEATABLE READ"
            + ("; SET LOCAL plan_cache_mode = force_generic_plan" if self.generic_plans else "")
        )

    async def commit(self) -> None:
        """``COMMIT`` (asyncpg's transaction object was never started)."""
        await self.connection.execute("COMMIT")
        self._committed = True

    async def rollback(self) -> None:
        """``ROLLBACK``, likewise."""
        await self.connection.execute("ROLLBACK")
        self._rolled_back = True
