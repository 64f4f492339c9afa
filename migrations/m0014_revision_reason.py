"""A work session's revision keeps the reason a manager gave for it (a start on another day,
a reopening): free text belongs with the session, not in the hash-chained audit log, whose
entries can never be removed.

Plain ``ALTER TABLE`` on both engines (SQLite drops columns since 3.35).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "work_session_revision: reason"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="madoguchi", description=DESCRIPTION)

    async def add():
        await engine_finder().run_ddl(
            'ALTER TABLE "work_session_revision" ADD COLUMN "reason" TEXT NOT NULL DEFAULT \'\''
        )

    async def drop():
        await engine_finder().run_ddl('ALTER TABLE "work_session_revision" DROP COLUMN "reason"')

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
