"""Database access: the engine built from settings, transactions, and hand-written statements.

Piccolo engines normally come from ``piccolo_conf.DB``; the app builds its own from the
settings it is given, so tests and the CLI can point one process at any database. Statements
written by hand live in each domain's ``store.py`` as Piccolo ``QueryString`` objects (``{}``
marks each argument) and run here, through the engine's public ``run_querystring``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Sequence
from typing import Any

import msgspec
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from server.db_engine import LazyPostgresEngine, PooledSQLiteEngine, SnapshotTransaction
from server.settings import DatabaseSettings


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

    The app changes no session state (no session ``SET``, ``LISTEN``, advisory lock or
    open cursor), and asyncpg still rolls back a transaction left open; the default reset
    is one more round trip after every statement run outside a transaction.
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
    upgrades a read lock (see :mod:`server.db_engine`).

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
    return write_transaction(engine())


@functools.cache
def _anchor() -> Any:
    # Any of our tables: they all share the engine bind_engine set.
    return app_tables()[0]


def engine() -> Any:
    """The app's engine (the one :func:`bind_engine` set)."""
    return _anchor()._meta.db


def is_postgres() -> bool:
    """Whether the app's engine is PostgreSQL (for store modules and this one only)."""
    return isinstance(engine(), PostgresEngine)


async def fetch(query: QueryString) -> list[dict[str, Any]]:
    """Run one hand-written statement, on the open transaction's connection or else a
    pooled one.

    Args:
        query: The statement and its arguments.

    Returns:
        The rows as dicts (empty for statements that return nothing).
    """
    current = engine()
    if isinstance(current, PostgresEngine):
        return [dict(row) for row in await current.run_querystring(query)]
    return list(await current.run_querystring(query, hand_written=True))


async def fetch_records(query: QueryString) -> list[Sequence[Any]]:
    """PostgreSQL: :func:`fetch`'s rows as the driver gives them, values in the statement's
    column order (no dict per row: a pull page reads hundreds of rows into structs).

    Args:
        query: A SELECT.

    Returns:
        The rows, each a sequence of typed values.
    """
    current = engine()
    if not isinstance(current, PostgresEngine):
        raise RuntimeError("fetch_records: PostgreSQL only (SQLite's rows are dicts of text)")
    return list(await current.run_querystring(query))


async def fetch_many(*queries: QueryString) -> list[list[dict[str, Any]]]:
    """Several SELECTs read together, each one's rows apart.

    PostgreSQL: one round trip, each query's rows as one JSON array, so values come as
    JSON has them (timestamps and dates as ISO text; ``msgspec.convert`` with
    ``strict=False`` reads both kinds). SQLite: one after another (no round trips there).

    Args:
        *queries: The statements.

    Returns:
        Each query's rows, in order.
    """
    if not is_postgres():
        return [await fetch(query) for query in queries]
    parts = ", ".join(
        f"(SELECT COALESCE(json_agg(q), '[]') FROM ({{}}) AS q) AS r{i}"  # noqa: S608 - ours
        for i in range(len(queries))
    )
    row = (await fetch(QueryString(f"SELECT {parts}", *queries)))[0]
    return [_DECODE(row[f"r{i}"]) for i in range(len(queries))]


_DECODE = msgspec.json.Decoder(list[dict[str, Any]]).decode
_ENCODE = msgspec.json.Encoder().encode


def one_of(column: str, values: Sequence[Any]) -> QueryString:
    """A condition that ``column`` is one of ``values``, as one argument whatever their
    count: one statement shape to prepare, and one value to bind.

    Args:
        column: The column (our own constant, never input).
        values: Integers or text.
    """
    if is_postgres():
        return QueryString(f"{column} = ANY({{}})", list(values))
    in_list = f"{column} IN (SELECT value FROM json_each({{}}))"  # noqa: S608 - constants
    return QueryString(in_list, _ENCODE(values))


def in_transaction() -> bool:
    """Whether a transaction is open in this task."""
    return engine().current_transaction.get() is not None


def transaction_connection() -> Any:
    """The driver connection of the transaction open in this task."""
    transaction = engine().current_transaction.get()
    if transaction is None:
        raise RuntimeError("no transaction is open")
    return transaction.connection


async def savepoint() -> Any:
    """A savepoint in the open transaction (``rollback_to()``, ``release()``)."""
    return await engine().current_transaction.get().savepoint()


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
            (tests/integration/test_sync_pull_plans.py): with many audit entries,
            PostgreSQL judged a pull's statements worth planning afresh on every call,
            which cost more than running them.
    """
    current = engine()
    outer = current.current_transaction.get() is None
    if outer and isinstance(current, PostgresEngine):
        async with SnapshotTransaction(engine=current, generic_plans=generic_plans):
            yield
        return
    async with current.transaction():
        yield
