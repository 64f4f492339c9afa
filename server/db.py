"""Database engines: built from settings, bound to our tables, checked for health.

Piccolo engines normally come from ``piccolo_conf.DB``; the app builds its own from the
settings it is given, so tests and the CLI can point one process at any database.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import AsyncIterator, Sequence
from typing import Any

import msgspec
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine

from server.db_sqlite import PooledSQLiteEngine
from server.settings import DatabaseSettings


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


def make_engine(database: DatabaseSettings) -> Engine[Any]:
    """Build the Piccolo engine the settings describe.

    Args:
        database: Database settings.

    Returns:
        A SQLite or PostgreSQL engine; nothing is opened yet.
    """
    if database.engine == "sqlite":
        return PooledSQLiteEngine(
            path=str(database.sqlite_path),
            timeout=database.sqlite_busy_timeout_ms / 1000,
        )
    return LazyPostgresEngine(
        config={"dsn": database.url},
    )


def app_tables() -> list[Any]:
    """Every Piccolo table of the app, plus Piccolo's own migration table."""
    from piccolo.apps.migrations.tables import Migration

    from server.piccolo_app import APP_CONFIG

    return [*APP_CONFIG.table_classes, Migration]


def bind_engine(engine: Engine[Any]) -> None:
    """Point every table of the app at ``engine``.

    Args:
        engine: The engine queries should run on from now on.
    """
    for table in app_tables():
        table._meta.db = engine


async def _keep_session(connection: Any) -> None:
    """Skip asyncpg's reset query when a connection returns to the pool.

    The app never changes session state (no ``SET``, ``LISTEN``, advisory locks or open
    cursors), and asyncpg still rolls back a transaction left open; the default reset cost
    one more round trip on every request.
    """


async def start(engine: Engine[Any], database: DatabaseSettings) -> None:
    """Prepare the engine when the app starts.

    SQLite: make sure the folder exists and switch the file to WAL (a persistent setting, so
    readers never block the writer). PostgreSQL: open the connection pool.

    Args:
        engine: The app's engine.
        database: Its settings.
    """
    if isinstance(engine, SQLiteEngine):
        database.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        await engine.run_ddl("PRAGMA journal_mode=WAL")
        # Piccolo registers a converter for every INTEGER column (process-wide): each value
        # read went through Python as text and back to int, 2,500 calls for a 500-change
        # pull. SQLite already returns an INTEGER column's values as ints.
        sqlite3.converters.pop("INTEGER", None)
    elif isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(max_size=database.pool_max, reset=_keep_session)


async def stop(engine: Engine[Any]) -> None:
    """Release what :func:`start` opened.

    Args:
        engine: The app's engine.
    """
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.close_pool()


def write_transaction(engine: Engine[Any]) -> Any:
    """A transaction for writes.

    On SQLite it is ``BEGIN IMMEDIATE``: the write lock is taken at the start, so two
    writers queue instead of one failing halfway with "database is locked" when it
    upgrades a read lock (see :mod:`server.db_sqlite`).

    Args:
        engine: The app's engine.

    Returns:
        An async context manager.
    """
    if isinstance(engine, PooledSQLiteEngine):
        return engine.writing()
    return engine.transaction()


async def ping(engine: Engine[Any]) -> None:
    """Run a trivial query; raises whatever the driver raises when the database is away.

    Args:
        engine: The app's engine.
    """
    await engine.run_ddl("SELECT 1")


def writing() -> Any:
    """A write transaction on the app's engine (nests inside one already open).

    Returns:
        An async context manager.
    """
    return write_transaction(_anchor()._meta.db)


@functools.cache
def _compiled(sql: str, postgres: bool, count: int) -> str:
    marks = [f"${i}" for i in range(1, count + 1)] if postgres else ["?"] * count
    return sql.format(*marks)


@functools.cache
def _anchor() -> Any:
    # Any of our tables: they all share the engine bind_engine set.
    return app_tables()[0]


async def _run(
    connection: Any, postgres: bool, query: str, args: tuple[Any, ...], records: bool = False
) -> Any:
    if postgres:
        rows = await connection.fetch(query, *args)
        return rows if records else [dict(row) for row in rows]
    return connection.fetch_now(query, args)


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run one statement without Piccolo's query building (the hot paths: push, pull, the
    login session), on the open transaction's connection or else a pooled one.

    Args:
        sql: The statement, with ``{}`` marking each argument.
        *args: The arguments, in order.

    Returns:
        The rows as dicts (empty for statements that return nothing).
    """
    found: list[dict[str, Any]] = await _fetch(sql, args, records=False)
    return found


async def fetch_records(sql: str, *args: Any) -> list[Sequence[Any]]:
    """PostgreSQL: :func:`fetch`'s rows as the driver gives them, values in the statement's
    column order (no dict per row: a pull page reads hundreds of rows into structs).

    Args:
        sql: A SELECT, with ``{}`` marking each argument.
        *args: The arguments, in order.

    Returns:
        The rows, each a sequence of typed values.
    """
    if not is_postgres():
        raise RuntimeError("fetch_records: PostgreSQL only (SQLite's rows are dicts of text)")
    found: list[Sequence[Any]] = await _fetch(sql, args, records=True)
    return found


async def _fetch(sql: str, args: tuple[Any, ...], *, records: bool) -> Any:
    engine = _anchor()._meta.db
    postgres = isinstance(engine, PostgresEngine)
    query = _compiled(sql, postgres, len(args))
    transaction = engine.current_transaction.get()
    if transaction is not None:
        return await _run(transaction.connection, postgres, query, args, records)
    if not postgres:
        pooled = await engine.get_connection()
        try:
            if query.startswith("SELECT"):
                return list(pooled.fetch_now(query, args))
            # A write on its own may wait for the write lock: the connection's thread.
            return list(await pooled.execute_fetchall(query, args))
        finally:
            await pooled.close()
    if engine.pool is not None:
        async with engine.pool.acquire() as connection:
            return list(await _run(connection, True, query, args, records))
    connection = await engine.get_new_connection()
    try:
        return list(await _run(connection, True, query, args, records))
    finally:
        await connection.close()


Query = tuple[str, tuple[Any, ...]]  # a statement for :func:`fetch` and its arguments


async def fetch_many(*queries: Query) -> list[list[dict[str, Any]]]:
    """Several SELECTs read together, each one's rows apart.

    PostgreSQL: one round trip, each query's rows as one JSON array, so values come as
    JSON has them (timestamps and dates as ISO text; ``msgspec.convert`` with
    ``strict=False`` reads both kinds). SQLite: one after another (no round trips there).

    Args:
        *queries: Statements with ``{}`` marks, and their arguments.

    Returns:
        Each query's rows, in order.
    """
    if not is_postgres():
        return [await fetch(sql, *args) for sql, args in queries]
    parts = ", ".join(
        f"(SELECT COALESCE(json_agg(q), '[]') FROM ({sql}) AS q) AS r{i}"  # noqa: S608 - ours
        for i, (sql, _) in enumerate(queries)
    )
    row = (await fetch(f"SELECT {parts}", *(arg for _, args in queries for arg in args)))[0]
    return [_DECODE(row[f"r{i}"]) for i in range(len(queries))]


_DECODE = msgspec.json.Decoder(list[dict[str, Any]]).decode


def in_transaction() -> bool:
    """Whether a transaction is open in this task."""
    return _anchor()._meta.db.current_transaction.get() is not None


def transaction_connection() -> Any:
    """The driver connection of the transaction open in this task."""
    transaction = _anchor()._meta.db.current_transaction.get()
    if transaction is None:
        raise RuntimeError("no transaction is open")
    return transaction.connection


async def savepoint() -> Any:
    """A savepoint in the open transaction (``rollback_to()``, ``release()``)."""
    return await _anchor()._meta.db.current_transaction.get().savepoint()


def one_of(column: str, values: list[Any]) -> tuple[str, list[Any]]:
    """A ``column`` matches one of ``values`` condition for :func:`fetch`, and its arguments.

    PostgreSQL gets one array argument (one statement shape to prepare whatever the count);
    SQLite an ``IN`` list.
    """
    if is_postgres():
        return f"{column} = ANY({{}})", [list(values)]
    return f"{column} IN ({', '.join('{}' for _ in values)})", list(values)


def is_postgres() -> bool:
    """Whether the app's engine is PostgreSQL."""
    return isinstance(_anchor()._meta.db, PostgresEngine)


class _SnapshotTransaction(PostgresTransaction):
    """A PostgreSQL transaction that begins REPEATABLE READ in its ``BEGIN``, and may keep
    to generic plans, asked for in the same round trip."""

    __slots__ = ("generic_plans",)

    def __init__(self, engine: PostgresEngine, *, generic_plans: bool) -> None:
        super().__init__(engine=engine)
        self.generic_plans = generic_plans

    async def begin(self) -> None:
        # Statements in one simple query: one round trip with the setting, as without it.
        await self.connection.execute(
            "BEGIN ISOLATION LEVEL REPEATABLE READ"
            + ("; SET LOCAL plan_cache_mode = force_generic_plan" if self.generic_plans else "")
        )

    async def commit(self) -> None:
        await self.connection.execute("COMMIT")
        self._committed = True

    async def rollback(self) -> None:
        await self.connection.execute("ROLLBACK")
        self._rolled_back = True


@contextlib.asynccontextmanager
async def reading(*, generic_plans: bool = False) -> AsyncIterator[None]:
    """A read transaction whose statements all see one snapshot.

    SQLite's read transaction does already. PostgreSQL's default (READ COMMITTED) takes a
    new snapshot per statement, so a push committing between two reads would show in one
    and not the other; REPEATABLE READ takes one at the first read. It is asked for in the
    ``BEGIN`` (one round trip; ``SET TRANSACTION`` was another), so only when this
    transaction is the outermost one.

    Args:
        generic_plans: PostgreSQL: run every statement on its generic plan (planned once
            per connection), never on a plan made for its arguments. For hot reads whose
            statements are checked to use their indexes under a generic plan
            (tests/integration/test_sync_pull_plans.py): with 10,000 audit entries and
            more, PostgreSQL judged a pull's statements worth planning afresh on every
            call, which cost 0.2 ms a statement.
    """
    engine = _anchor()._meta.db
    outer = engine.current_transaction.get() is None
    if outer and isinstance(engine, PostgresEngine):
        async with _SnapshotTransaction(engine=engine, generic_plans=generic_plans):
            yield
        return
    async with engine.transaction():
        yield
