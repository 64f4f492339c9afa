"""One cell per (work session, slot, category), and the cells of the counts made so far."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-25T22:56:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique headcount cells, filled from the counts already stored"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="madoguchi", description=DESCRIPTION
    )

    async def fill():
        engine = engine_finder()
        await engine.run_ddl(
            "CREATE UNIQUE INDEX headcount_cell_key "
            "ON headcount_cell (work_session, slot_start, category)"
        )
        await engine.run_ddl(
            "INSERT INTO headcount_cell (work_session, slot_start, category, n) "
            "SELECT work_session, slot_start, category, SUM(delta) FROM headcount "
            "GROUP BY work_session, slot_start, category"
        )

    async def unfill():
        engine = engine_finder()
        await engine.run_ddl("DELETE FROM headcount_cell")
        await engine.run_ddl("DROP INDEX headcount_cell_key")

    manager.add_raw(fill)
    manager.add_raw_backwards(unfill)
    return manager
