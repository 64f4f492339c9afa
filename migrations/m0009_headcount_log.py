"""Counts as a log: no foreign key on headcount.work_session, and no index nobody reads.

A count's session is checked by the service (it must exist and be open) and, in the
statement that stores it, by its cell: ``headcount_cell`` references the session, and a
cell that already exists had its session checked when it was made (cells cascade with
their session; sessions are never deleted). The per-row foreign key check on
``headcount`` was a fifth of the insert on PostgreSQL (0.3 ms per 100 counts). Totals and
pulls read the cells, so the index on ``headcount.work_session`` was only written, never
read. SQLite cannot drop a foreign key in place: the table is rebuilt.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-26T03:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Headcount as a log: no foreign key or index on work_session"

COLUMNS = (
    '"id" INTEGER PRIMARY KEY NOT NULL, "work_session" INTEGER{reference} DEFAULT null, '
    '"slot_start" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
    "\"category\" VARCHAR(40) NOT NULL DEFAULT '', \"delta\" INTEGER NOT NULL DEFAULT 0, "
    '"device_id" VARCHAR(64) DEFAULT null, "actor_id" INTEGER DEFAULT null, '
    '"op_id" VARCHAR(40) UNIQUE DEFAULT null, '
    '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp'
)
REFERENCE = (
    ' REFERENCES "work_session" ("id") ON DELETE CASCADE ON UPDATE CASCADE'
)


async def _rebuild_sqlite(engine, reference: str) -> None:
    await engine.run_ddl(
        f'CREATE TABLE "headcount_rebuilt" ({COLUMNS.format(reference=reference)})'
    )
    await engine.run_ddl('INSERT INTO "headcount_rebuilt" SELECT * FROM "headcount"')
    await engine.run_ddl('DROP TABLE "headcount"')
    await engine.run_ddl('ALTER TABLE "headcount_rebuilt" RENAME TO "headcount"')


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="madoguchi", description=DESCRIPTION
    )

    async def to_log():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl(
                "ALTER TABLE headcount DROP CONSTRAINT headcount_work_session_fkey"
            )
            await engine.run_ddl("DROP INDEX headcount_work_session")
        else:
            # The rebuilt table has no index on work_session: it goes with the old one.
            await _rebuild_sqlite(engine, "")

    async def from_log():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl(
                "ALTER TABLE headcount ADD CONSTRAINT headcount_work_session_fkey "
                "FOREIGN KEY (work_session) REFERENCES work_session (id) "
                "ON DELETE CASCADE ON UPDATE CASCADE"
            )
        else:
            await _rebuild_sqlite(engine, REFERENCE)
        await engine.run_ddl(
            "CREATE INDEX headcount_work_session ON headcount (work_session)"
        )

    manager.add_raw(to_log)
    manager.add_raw_backwards(from_log)
    return manager
