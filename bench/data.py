"""Databases for the benchmarks: throwaway copies, field setup, bulk history, the ceiling.

Everything here talks to the database straight (``sqlite3``, ``asyncpg``) or through the
app's own services in this process; the figures themselves go through the HTTP server.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bench.server import run_cli
from server import db
from server.audit.service import entry_hash
from server.common.clock import JST
from server.settings import Settings
from tests import dbutil
from tests.support.field import OFFICE_CATEGORIES, open_session, window

SITE = 1  # 本庁舎 市民課, an office site (seeded by the migrations)
CATEGORIES = OFFICE_CATEGORIES
SLOTS = 12  # 10:00–16:00 JST in 30-minute slots


def is_postgres(url: str) -> bool:
    """True for a PostgreSQL URL."""
    return dbutil.is_postgres(url)


def sqlite_path(url: str) -> str:
    """The file of a SQLite URL."""
    return url.removeprefix("sqlite:///")


@dataclass
class Field:
    """A migrated throwaway database with an open work session and its operator."""

    base_url: str
    url: str
    settings: Settings
    env: dict[str, str]
    session: int = 0
    operator: int = 0
    manager: int = 0
    slots: list[str] = field(default_factory=list)

    def headcount(self, rng: random.Random) -> dict[str, Any]:
        """A valid ``headcount.add`` payload for the open session."""
        return {
            "work_session_id": self.session,
            "slot_start": rng.choice(self.slots),
            "category": rng.choice(CATEGORIES),
            "delta": rng.randint(1, 5),
        }


async def make_field(base_url: str, folder: Path, label: str) -> Field:
    """Create, migrate and bind a throwaway database; open a session with an operator."""
    url = dbutil.create_throwaway(base_url, folder, label=label)
    env = {"MADOGUCHI_DATABASE_URL": url, "PICCOLO_CONF": "server.piccolo_conf"}
    made = Field(
        base_url=base_url, url=url, settings=Settings.from_env({**os.environ, **env}), env=env
    )
    try:
        run_cli("migrate", env=env)
        db.bind_engine(db.make_engine(made.settings.database))
        ids = await open_session(made.settings, site_id=SITE)
    except BaseException:
        dbutil.drop_throwaway(base_url, url)
        raise
    made.session, made.operator, made.manager = ids["session"], ids["operator"], ids["manager"]
    _, start, _ = window()
    step = dt.timedelta(minutes=made.settings.field.slot_minutes)
    made.slots = [(start + i * step).astimezone(dt.UTC).isoformat() for i in range(SLOTS)]
    return made


def drop_field(made: Field) -> None:
    """Drop the throwaway database."""
    dbutil.drop_throwaway(made.base_url, made.url)


async def server_versions(made: Field) -> str:
    """The database engine's version."""
    if not is_postgres(made.url):
        return sqlite3.sqlite_version
    connection = await asyncpg.connect(made.url, timeout=10)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


# --- the ceiling: plain executemany into an equivalent table --------------------------------

CEILING_DDL_SQLITE = """
CREATE TABLE IF NOT EXISTS bench_ceiling (
    id INTEGER PRIMARY KEY, work_session INTEGER NOT NULL, slot_start TIMESTAMP NOT NULL,
    category VARCHAR(40) NOT NULL, delta INTEGER NOT NULL, device_id VARCHAR(64),
    actor_id INTEGER, op_id VARCHAR(40) UNIQUE, created_at TIMESTAMP NOT NULL)
"""
CEILING_DDL_PG = """
CREATE TABLE IF NOT EXISTS bench_ceiling (
    id SERIAL PRIMARY KEY, work_session INTEGER NOT NULL, slot_start TIMESTAMPTZ NOT NULL,
    category VARCHAR(40) NOT NULL, delta INTEGER NOT NULL, device_id VARCHAR(64),
    actor_id INTEGER, op_id VARCHAR(40) UNIQUE, created_at TIMESTAMPTZ NOT NULL)
"""
CEILING_INSERT = (
    "INSERT INTO bench_ceiling (work_session, slot_start, category, delta, device_id, "
    "actor_id, op_id, created_at) VALUES ({})"
)


def ceiling_rows(made: Field, count: int, rng: random.Random) -> list[tuple[Any, ...]]:
    """Rows shaped like ``headcount`` rows (same types, fresh unique ``op_id``)."""
    now = dt.datetime.now(dt.UTC)
    device = str(uuid.uuid4())
    return [
        (
            made.session,
            dt.datetime.fromisoformat(rng.choice(made.slots)),
            rng.choice(CATEGORIES),
            rng.randint(1, 5),
            device,
            made.operator,
            str(uuid.uuid4()),
            now,
        )
        for _ in range(count)
    ]


async def ceiling(made: Field, count: int, batch: int, rng: random.Random) -> float:
    """Insert ``count`` rows in transactions of ``batch``; returns rows per second."""
    rows = ceiling_rows(made, count, rng)
    chunks = [rows[i : i + batch] for i in range(0, len(rows), batch)]
    if is_postgres(made.url):
        sql = CEILING_INSERT.format(", ".join(f"${i}" for i in range(1, 9)))
        connection = await asyncpg.connect(made.url, timeout=10)
        try:
            await connection.execute(CEILING_DDL_PG)
            began = time.perf_counter()
            for chunk in chunks:
                async with connection.transaction():
                    await connection.executemany(sql, chunk)
            elapsed = time.perf_counter() - began
        finally:
            await connection.close()
        return count / elapsed
    # Same settings as the app's SQLite connections: WAL (set by the server), defaults else.
    connection = sqlite3.connect(sqlite_path(made.url), isolation_level=None, timeout=30)
    try:
        connection.execute(CEILING_DDL_SQLITE)
        sql = CEILING_INSERT.format(", ".join("?" * 8))
        began = time.perf_counter()
        for chunk in chunks:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(sql, chunk)
            connection.execute("COMMIT")
        elapsed = time.perf_counter() - began
    finally:
        connection.close()
    return count / elapsed


# --- history: many audit entries (and their headcount rows), written in bulk ---------------

SESSION_COLUMNS = (
    "site, work_date, planned_start, planned_end, status, actual_start, actual_end, notes, "
    "version, created_by, updated_at"
)
AUDIT_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_id",
    "device_id",
    "action",
    "target",
    "detail",
    "prev_hash",
    "hash",
)
HEADCOUNT_COLUMNS = (
    "work_session",
    "slot_start",
    "category",
    "delta",
    "device_id",
    "actor_id",
    "op_id",
    "created_at",
)


def _session_row(made: Field, day: dt.date, status: str) -> tuple[Any, ...]:
    start = dt.datetime.combine(day, dt.time(10), JST).astimezone(dt.UTC)
    end = start + dt.timedelta(hours=6)
    opened = start if status != "planned" else None
    closed = end if status == "closed" else None
    now = dt.datetime.now(dt.UTC)
    return (SITE, day, start, end, status, opened, closed, "", 1, made.manager, now)


class Writer:
    """Bulk writes that keep the audit chain whole (each entry hashes the one before)."""

    def __init__(self, made: Field) -> None:
        self.made = made
        self.pg = is_postgres(made.url)
        self.sqlite: sqlite3.Connection | None = None
        self.connection: asyncpg.Connection | None = None

    async def __aenter__(self) -> Writer:
        if self.pg:
            self.connection = await asyncpg.connect(self.made.url, timeout=10)
        else:
            self.sqlite = sqlite3.connect(
                sqlite_path(self.made.url), isolation_level=None, timeout=30
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.connection is not None:
            await self.connection.close()
        if self.sqlite is not None:
            self.sqlite.close()

    async def head(self) -> tuple[int, str]:
        """The audit chain's last ``seq`` and hash."""
        sql = "SELECT seq, hash FROM audit_head WHERE id = 1"
        if self.connection is not None:
            row = await self.connection.fetchrow(sql)
        else:
            assert self.sqlite is not None
            row = self.sqlite.execute(sql).fetchone()
        return int(row[0]), str(row[1])

    async def sessions(self, days: list[dt.date], status: str) -> list[int]:
        """Insert work sessions at the office site; returns their ids."""
        return await self.session_rows([_session_row(self.made, day, status) for day in days])

    async def session_rows(self, rows: list[tuple[Any, ...]]) -> list[int]:
        """Insert work sessions given as rows of :data:`SESSION_COLUMNS`; returns their ids."""
        if self.connection is not None:
            sql = (
                f"INSERT INTO work_session ({SESSION_COLUMNS}) VALUES "  # noqa: S608 - constants
                "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"
            )
            async with self.connection.transaction():
                return [int(await self.connection.fetchval(sql, *row)) for row in rows]
        assert self.sqlite is not None
        sql = f"INSERT INTO work_session ({SESSION_COLUMNS}) VALUES ({', '.join('?' * 11)})"  # noqa: S608
        ids = []
        self.sqlite.execute("BEGIN IMMEDIATE")
        for row in rows:
            ids.append(int(self.sqlite.execute(sql, row).lastrowid or 0))
        self.sqlite.execute("COMMIT")
        return ids

    async def rows(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` of ``columns`` into ``table`` (our own names) in one transaction."""
        if self.connection is not None:
            async with self.connection.transaction():
                await self.connection.copy_records_to_table(table, records=rows, columns=columns)
            return
        assert self.sqlite is not None
        self.sqlite.execute("BEGIN IMMEDIATE")
        self.sqlite.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - our own names
            f"VALUES ({', '.join('?' * len(columns))})",
            rows,
        )
        self.sqlite.execute("COMMIT")

    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of a constant query (no parameters)."""
        if self.connection is not None:
            return [tuple(row) for row in await self.connection.fetch(sql)]
        assert self.sqlite is not None
        return [tuple(row) for row in self.sqlite.execute(sql).fetchall()]

    async def append(
        self, entries: list[tuple[Any, ...]], headcounts: list[tuple[Any, ...]]
    ) -> int:
        """Append audit entries ``(occurred_at, actor, device, action, target, detail)`` with
        their hashes, and headcount rows, in one transaction; returns the last ``seq``."""
        seq, prev = await self.head()
        audit_rows = []
        for occurred_at, actor, device, action, target, detail in entries:
            seq += 1
            digest = entry_hash(
                prev_hash=prev,
                seq=seq,
                occurred_at=occurred_at,
                actor_id=actor,
                device_id=device,
                action=action,
                target=target,
                detail=detail,
            )
            audit_rows.append(
                (seq, occurred_at, actor, device, action, target, detail, prev, digest)
            )
            prev = digest
        if self.connection is not None:
            async with self.connection.transaction():
                await self.connection.execute(
                    "UPDATE audit_head SET seq = seq WHERE id = 1"
                )  # the chain's lock
                await self.connection.copy_records_to_table(
                    "audit_event", records=audit_rows, columns=AUDIT_COLUMNS
                )
                if headcounts:
                    await self.connection.copy_records_to_table(
                        "headcount", records=headcounts, columns=HEADCOUNT_COLUMNS
                    )
                await self.connection.execute(
                    "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", seq, prev
                )
            return seq
        assert self.sqlite is not None
        self.sqlite.execute("BEGIN IMMEDIATE")
        self.sqlite.executemany(
            f"INSERT INTO audit_event ({', '.join(AUDIT_COLUMNS)}) "  # noqa: S608 - constants
            f"VALUES ({', '.join('?' * 9)})",
            audit_rows,
        )
        if headcounts:
            self.sqlite.executemany(
                f"INSERT INTO headcount ({', '.join(HEADCOUNT_COLUMNS)}) "  # noqa: S608 - constants
                f"VALUES ({', '.join('?' * 8)})",
                headcounts,
            )
        self.sqlite.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (seq, prev))
        self.sqlite.execute("COMMIT")
        return seq

    async def cells(self, sessions: list[int]) -> None:
        """The running sums (``headcount_cell``) of sessions whose counts were bulk-loaded,
        as the app keeps them."""
        sql = (
            "INSERT INTO headcount_cell (work_session, slot_start, category, n) "
            "SELECT work_session, slot_start, category, SUM(delta) FROM headcount "
            "WHERE work_session BETWEEN {} AND {} GROUP BY work_session, slot_start, category"
        )
        low, high = min(sessions), max(sessions)
        if self.connection is not None:
            await self.connection.execute(sql.format("$1", "$2"), low, high)
            return
        assert self.sqlite is not None
        self.sqlite.execute("BEGIN IMMEDIATE")
        self.sqlite.execute(sql.format("?", "?"), (low, high))
        self.sqlite.execute("COMMIT")

    async def settle(self) -> None:
        """Do now what the database would do on its own soon after a bulk load, so it does
        not fall in the measurements that follow (an autovacuum worker on one of two cores
        doubled the empty pulls right after a load): PostgreSQL vacuums and analyzes, then
        checkpoints; SQLite checkpoints its WAL."""
        if self.connection is not None:
            await self.connection.execute("VACUUM (ANALYZE)")
            await self.connection.execute("CHECKPOINT")
            return
        assert self.sqlite is not None
        self.sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def add_history(made: Field, count: int, rng: random.Random, chunk: int = 50_000) -> None:
    """Append ``count`` past ``headcount.add`` ops (audit entry + headcount row each),
    spread over past closed sessions of about 400 counts each."""
    if count <= 0:
        return
    today = dt.datetime.now(JST).date()
    async with Writer(made) as writer:
        sessions = await writer.sessions(
            [today - dt.timedelta(days=1 + i % 3000) for i in range(max(1, count // 400))],
            "closed",
        )
        devices = [str(uuid.uuid4()) for _ in range(20)]
        written = 0
        while written < count:
            size = min(chunk, count - written)
            entries, headcounts = [], []
            for i in range(size):
                sid = sessions[(written + i) * len(sessions) // count]
                when = dt.datetime.combine(
                    today - dt.timedelta(days=1), dt.time(1), dt.UTC
                ) + dt.timedelta(seconds=written + i)
                slot = when.replace(minute=0, second=0)
                op_id = str(uuid.uuid4())
                device = devices[i % len(devices)]
                detail = json.dumps(
                    {"day": when.astimezone(JST).date().isoformat(), "op_id": op_id},
                    separators=(",", ":"),
                    sort_keys=True,
                )
                entries.append(
                    (when, made.operator, device, "headcount.add", f"work_session:{sid}", detail)
                )
                headcounts.append(
                    (
                        sid,
                        slot,
                        rng.choice(CATEGORIES),
                        rng.randint(1, 5),
                        device,
                        made.operator,
                        op_id,
                        when,
                    )
                )
            await writer.append(entries, headcounts)
            written += size
        await writer.cells(sessions)
        await writer.settle()


async def add_tail(made: Field, count: int) -> tuple[int, int]:
    """Append ``count`` planned sessions at the office site, each with its audit entry
    (``work_session.plan``), so the next ``count`` entries name ``count`` different things.

    Returns:
        The audit ``seq`` before and after them (pull cursors).
    """
    today = dt.datetime.now(JST).date()
    async with Writer(made) as writer:
        before, _ = await writer.head()
        ids = await writer.sessions(
            [today + dt.timedelta(days=1 + i % 300) for i in range(count)], "planned"
        )
        now = dt.datetime.now(dt.UTC)
        after = await writer.append(
            [
                (now, made.manager, None, "work_session.plan", f"work_session:{sid}", "{}")
                for sid in ids
            ],
            [],
        )
        await writer.settle()
    return before, after
