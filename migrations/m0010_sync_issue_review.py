"""Refused and conflicting ops get their reason and a supervisor's settlement.

Plain ``ALTER TABLE`` on both engines (SQLite drops columns since 3.35).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-03T09:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sync_issue: reason message and review settlement"

COLUMNS = (
    ("message", "TEXT NOT NULL DEFAULT ''"),
    ("params", "TEXT NOT NULL DEFAULT '{}'"),
    ("uploaded_by", "INTEGER DEFAULT null"),
    ("resolution", "VARCHAR(10) NOT NULL DEFAULT ''"),
    ("resolved_by", "INTEGER DEFAULT null"),
    ("resolved_at", "TIMESTAMPTZ DEFAULT null"),
    ("resolution_note", "TEXT NOT NULL DEFAULT ''"),
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="madoguchi", description=DESCRIPTION
    )

    async def add():
        engine = engine_finder()
        for name, kind in COLUMNS:
            await engine.run_ddl(f'ALTER TABLE "sync_issue" ADD COLUMN "{name}" {kind}')

    async def drop():
        engine = engine_finder()
        for name, _ in reversed(COLUMNS):
            await engine.run_ddl(f'ALTER TABLE "sync_issue" DROP COLUMN "{name}"')

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
