"""Invites can be revoked: the moment is kept, so a revoked link says so.

Plain ``ALTER TABLE`` on both engines (SQLite drops columns since 3.35).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-03T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "invite: revoked_at"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="madoguchi", description=DESCRIPTION)

    async def add():
        await engine_finder().run_ddl(
            'ALTER TABLE "invite" ADD COLUMN "revoked_at" TIMESTAMPTZ DEFAULT null'
        )

    async def drop():
        await engine_finder().run_ddl('ALTER TABLE "invite" DROP COLUMN "revoked_at"')

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
