"""Throwaway databases for tests: created fresh, dropped afterwards, never reused."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

T = TypeVar("T")


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion, also from inside a running event loop (async tests)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def is_postgres(url: str) -> bool:
    """True for a PostgreSQL URL."""
    return url.startswith(("postgresql://", "postgres://"))


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _pg_execute(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def create_throwaway(base_url: str, folder: Path, label: str = "t") -> str:
    """Create an empty database next to ``base_url`` and return its URL.

    Args:
        base_url: A PostgreSQL server URL (any existing database) or a SQLite URL.
        folder: Where SQLite files go.
        label: Part of the name, to tell databases apart in a listing.

    Returns:
        The new database's URL.
    """
    name = f"madoguchi_{label}_{uuid.uuid4().hex[:12]}"
    if is_postgres(base_url):
        run_coroutine(_pg_execute(base_url, f'CREATE DATABASE "{name}"'))
        return _with_database(base_url, name)
    return f"sqlite:///{folder / (name + '.db')}"


def drop_throwaway(base_url: str, url: str) -> None:
    """Drop a database made by :func:`create_throwaway`.

    Args:
        base_url: The URL it was created from.
        url: Its URL.
    """
    if is_postgres(url):
        name = urlsplit(url).path.lstrip("/")
        run_coroutine(_pg_execute(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


async def _pg_schema(url: str) -> list[tuple[str, ...]]:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        columns = await connection.fetch(
            "SELECT table_name, column_name, data_type, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_schema = 'public'"
            " ORDER BY table_name, column_name"
        )
        indexes = await connection.fetch(
            "SELECT tablename, indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = 'public' ORDER BY tablename, indexname"
        )
    finally:
        await connection.close()
    return [tuple(str(v) for v in row.values()) for row in [*columns, *indexes]]


def schema_snapshot(url: str) -> list[tuple[str, ...]]:
    """Tables, columns and indexes of a database, as comparable rows.

    Args:
        url: Database URL.

    Returns:
        Sorted rows describing the schema.
    """
    if is_postgres(url):
        return run_coroutine(_pg_schema(url))
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        rows = connection.execute(
            "SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master"
            " WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        ).fetchall()
    return [tuple(str(v) for v in row) for row in rows]


async def _pg_fetch(url: str, sql: str) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        return [tuple(row.values()) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


def fetch(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Run a read query straight on the database, outside the app.

    Args:
        url: Database URL.
        sql: The query.

    Returns:
        Its rows (values as the driver gives them: the query decides their types).
    """
    if is_postgres(url):
        return run_coroutine(_pg_fetch(url, sql))
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        return connection.execute(sql).fetchall()


def execute(url: str, *statements: str) -> None:
    """Run write statements straight on the database, outside the app.

    All of them go over one connection in one transaction: a caller with several pays for
    one connection, not one each.

    Args:
        url: Database URL.
        statements: The statements, run in order.
    """
    if is_postgres(url):
        run_coroutine(execute_async(url, *statements))
        return
    _sqlite_execute(url, statements)


async def execute_async(url: str, *statements: str) -> None:
    """:func:`execute` from a coroutine, on the caller's own event loop (no extra thread)."""
    if not is_postgres(url):
        _sqlite_execute(url, statements)
        return
    # One simple-protocol message: the server runs the statements as one transaction.
    await _pg_execute(url, ";\n".join(statements))


def _sqlite_execute(url: str, statements: tuple[str, ...]) -> None:
    connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        for sql in statements:
            connection.execute(sql)
        connection.execute("COMMIT")
    finally:
        connection.close()


def count(url: str, table: str) -> int:
    """Rows in ``table``."""
    return int(fetch(url, f"SELECT count(*) FROM {table}")[0][0])
