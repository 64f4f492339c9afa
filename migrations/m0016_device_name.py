"""A device has a name, by default its site and number (「アクタ西宮ステーション 2号機」), and
shows who pushed from it last: ``site`` and ``number`` find the next free number at a site,
``last_user`` is written with the last sighting.

Devices registered before have no site: they are numbered in the order they were
registered, and the label every tablet sent then (``field tablet``) or none becomes
``端末 <number>``. Going backwards drops the columns and keeps those names.

Plain ``ALTER TABLE`` on both engines (SQLite drops columns since 3.35).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "device: site, number, last_user"

COLUMNS = ("site", "number", "last_user")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="madoguchi", description=DESCRIPTION)

    async def add():
        engine = engine_finder()
        for column in COLUMNS:
            await engine.run_ddl(f'ALTER TABLE "device" ADD COLUMN "{column}" INTEGER DEFAULT null')
        await engine.run_ddl(
            'UPDATE "device" SET "number" = '
            '(SELECT count(*) FROM "device" AS d WHERE d.id <= "device".id)'
        )
        await engine.run_ddl(
            'UPDATE "device" SET "label" = \'端末 \' || "number" '
            "WHERE \"label\" IN ('', 'field tablet')"
        )

    async def drop():
        engine = engine_finder()
        for column in reversed(COLUMNS):
            await engine.run_ddl(f'ALTER TABLE "device" DROP COLUMN "{column}"')

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
