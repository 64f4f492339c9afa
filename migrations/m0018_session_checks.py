"""Opening and closing checks: the checklist for each kind of site (seeded with the
defaults), and what staff checked when a work session started or finished, with a fixed
counter's card-stock count.

Tables and rows are this file's own copies (migrations are history). Seeding inserts
only the items that are missing, so running it again changes nothing.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.column_types import (
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-12-08T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "check_item and session_check"

OPEN, CLOSE = "open", "close"
# (code, phases, label_ja, label_en) per group of sites; counters keep card stock and a safe.
ITEMS = {
    "office": (
        ("terminals_on", (OPEN,), "端末を起動した", "Terminals started"),
        ("stock_counted", (OPEN, CLOSE), "カードの在庫を数えた", "Card stock counted"),
        ("forms_counted", (OPEN, CLOSE), "申請書等の帳票を数えた", "Forms counted"),
        ("terminals_off", (CLOSE,), "端末を終了した", "Terminals shut down"),
        ("safe_locked", (CLOSE,), "金庫を施錠した", "Safe locked"),
    ),
    "outreach": (
        ("terminals_on", (OPEN,), "端末を起動した", "Terminals started"),
        ("forms_counted", (OPEN, CLOSE), "申請書等の帳票を数えた", "Forms counted"),
        ("terminals_off", (CLOSE,), "端末を終了した", "Terminals shut down"),
        ("papers_secured", (CLOSE,), "書類を施錠できる鞄に収めた", "Papers locked away"),
    ),
    "support": (
        ("terminals_on", (OPEN,), "端末を起動した", "Terminals started"),
        ("terminals_off", (CLOSE,), "端末を終了した", "Terminals shut down"),
        ("papers_secured", (CLOSE,), "書類を施錠できる鞄に収めた", "Papers locked away"),
    ),
}


class WorkSession(Table, tablename="work_session"):
    status = Varchar(length=12)


class CheckItem(Table, tablename="check_item"):
    code = Varchar(length=40)
    site_group = Varchar(length=10)
    phase = Varchar(length=5)
    label_ja = Varchar(length=100)
    label_en = Varchar(length=100)
    sort_order = Integer(default=0)
    active = Boolean(default=True)


class SessionCheck(Table, tablename="session_check"):
    work_session = ForeignKey(references=WorkSession, on_delete=OnDelete.cascade, index=True)
    phase = Varchar(length=5)
    done = Text(default="[]")
    missing = Text(default="[]")
    stock_start = Integer(null=True, default=None)
    stock_received = Integer(null=True, default=None)
    stock_issued = Integer(null=True, default=None)
    stock_spoiled = Integer(null=True, default=None)
    stock_end = Integer(null=True, default=None)
    actor_id = Integer(null=True, default=None)
    at = Timestamptz()


async def create():
    await CheckItem.create_table()
    await SessionCheck.create_table()
    await engine_finder().run_ddl(
        'CREATE UNIQUE INDEX "session_check_one_per_phase" '
        'ON "session_check" ("work_session", "phase")'
    )
    await engine_finder().run_ddl(
        'CREATE UNIQUE INDEX "check_item_key" ON "check_item" ("site_group", "phase", "code")'
    )


async def seed():
    have = {
        (row["site_group"], row["phase"], row["code"])
        for row in await CheckItem.select(CheckItem.site_group, CheckItem.phase, CheckItem.code)
    }
    missing = [
        CheckItem(
            code=code,
            site_group=group,
            phase=phase,
            label_ja=ja,
            label_en=en,
            sort_order=order,
            active=True,
        )
        for group, items in ITEMS.items()
        for order, (code, phases, ja, en) in enumerate(items)
        for phase in phases
        if (group, phase, code) not in have
    ]
    if missing:
        await CheckItem.insert(*missing)


async def drop():
    await SessionCheck.alter().drop_table()
    await CheckItem.alter().drop_table()


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="madoguchi", description=DESCRIPTION)
    manager.add_raw(create)
    manager.add_raw(seed)
    manager.add_raw_backwards(drop)
    return manager
