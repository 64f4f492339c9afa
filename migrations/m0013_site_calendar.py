"""Opening calendars of the fixed sites: weekly hours over a kind's default, and dated
exceptions; アクタ西宮ステーション also opens weekends and public holidays 9:00–16:00.

The tables are made from this file's own copies (migrations are history), with one row
per site and weekday (or date) held by a unique index on both engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.column_types import Boolean, Date, ForeignKey, Integer, Text, Varchar
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-12-04T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Site calendars: site_hours and site_day; ACTA Nishinomiya opens weekends"

SATURDAY, SUNDAY, HOLIDAY = 5, 6, 7
WEEKEND_HOURS = (9 * 60, 16 * 60)


class Site(Table, tablename="site"):
    code = Varchar(length=40)


class SiteHours(Table, tablename="site_hours"):
    site = ForeignKey(references=Site, on_delete=OnDelete.cascade, index=True)
    weekday = Integer()
    opens = Integer(null=True, default=None)
    closes = Integer(null=True, default=None)


class SiteDay(Table, tablename="site_day"):
    site = ForeignKey(references=Site, on_delete=OnDelete.cascade, index=True)
    day = Date()
    is_open = Boolean(default=False)
    opens = Integer(null=True, default=None)
    closes = Integer(null=True, default=None)
    note = Text(default="")


async def create():
    engine = engine_finder()
    await SiteHours.create_table()
    await SiteDay.create_table()
    await engine.run_ddl(
        'CREATE UNIQUE INDEX "site_hours_one_per_weekday" ON "site_hours" ("site", "weekday")'
    )
    await engine.run_ddl('CREATE UNIQUE INDEX "site_day_one_per_day" ON "site_day" ("site", "day")')
    acta = await Site.select(Site.id).where(Site.code == "acta").first()
    if acta is not None:
        opens, closes = WEEKEND_HOURS
        await SiteHours.insert(
            *(
                SiteHours(site=acta["id"], weekday=key, opens=opens, closes=closes)
                for key in (SATURDAY, SUNDAY, HOLIDAY)
            )
        )


async def drop():
    await SiteDay.alter().drop_table()
    await SiteHours.alter().drop_table()


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="madoguchi", description=DESCRIPTION)
    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
