"""Daily journals (業務日誌): one per site and day, and their history of submissions,
returns and acknowledgements, each submission with the figures it froze.

The tables are made from this file's own copies (migrations are history); one journal per
site and day is held by a unique index on both engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.column_types import Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-12-07T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "journal and journal_event"


class Site(Table, tablename="site"):
    code = Varchar(length=40)


class Journal(Table, tablename="journal"):
    site = ForeignKey(references=Site, index=True)
    day = Date()
    status = Varchar(length=12, default="draft")
    version = Integer(default=0)
    notes = Text(default="")
    handover = Text(default="")
    updated_at = Timestamptz()


class JournalEvent(Table, tablename="journal_event"):
    journal = ForeignKey(references=Journal, on_delete=OnDelete.cascade, index=True)
    version = Integer()
    action = Varchar(length=12)
    figures = Text(default="")
    notes = Text(default="")
    handover = Text(default="")
    reason = Text(default="")
    comment = Text(default="")
    actor_id = Integer(null=True, default=None)
    at = Timestamptz()


async def create():
    await Journal.create_table()
    await JournalEvent.create_table()
    await engine_finder().run_ddl(
        'CREATE UNIQUE INDEX "journal_one_per_site_day" ON "journal" ("site", "day")'
    )


async def drop():
    await JournalEvent.alter().drop_table()
    await Journal.alter().drop_table()


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="madoguchi", description=DESCRIPTION)
    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
