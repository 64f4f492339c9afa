"""Database engines: built from settings, bound to our tables, checked for health.

Piccolo engines normally come from ``piccolo_conf.DB``; the app builds its own from the
settings it is given, so tests and the CLI can point one process at any database.
"""

from __future__ import annotations

from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

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


class LazySQLiteEngine(SQLiteEngine):
    """A SQLite engine that does not touch the file when constructed."""

    async def check_version(self) -> None:
        """Skip the constructor's version check."""


def make_engine(database: DatabaseSettings) -> Engine[Any]:
    """Build the Piccolo engine the settings describe.

    Args:
        database: Database settings.

    Returns:
        A SQLite or PostgreSQL engine; nothing is opened yet.
    """
    if database.engine == "sqlite":
        return LazySQLiteEngine(
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
        await engine.start_connection_pool(max_size=database.pool_max)


async def stop(engine: Engine[Any]) -> None:
    """Release what :func:`start` opened.

    Args:
        engine: The app's engine.
    """
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()


def write_transaction(engine: Engine[Any]) -> Any:
    """A transaction for writes.

    On SQLite it is ``BEGIN IMMEDIATE``: the write lock is taken at the start, so two
    writers queue on the busy timeout instead of one failing halfway with "database is
    locked" when it upgrades a read lock.

    Args:
        engine: The app's engine.

    Returns:
        An async context manager.
    """
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
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
    return write_transaction(app_tables()[0]._meta.db)
