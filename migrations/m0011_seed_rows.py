"""The rows every database starts with: the five fixed sites, the audit chain's head and
the default headcount categories.

A data migration on Piccolo's public API. It inserts only the rows that are missing, so a
database seeded by the first migrations before this one existed is left as it is; going
backwards leaves them too (they go with their tables).
"""

import datetime

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

ID = "2026-12-03T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Seed rows: fixed sites, the audit chain's head, default headcount categories"

# Literal copies, and tables as they stand here: migrations are history, so later edits
# to the service cannot change them.
FIXED_SITES = (
    ("honcho", "本庁舎 市民課", "City Hall, Citizens Division", "西宮市六湛寺町10番3号", "office"),
    (
        "call-center",
        "マイナンバーコールセンター",
        "My Number Call Center",
        "西宮市六湛寺町3番1号 西宮市役所東館8階",
        "office",
    ),
    (
        "acta",
        "アクタ西宮ステーション",
        "ACTA Nishinomiya Station",
        "西宮市北口町1番1号 アクタ西宮西館",
        "office",
    ),
    ("koshikiiwa", "越木岩分室", "Koshikiiwa Branch", "西宮市豊楽町2番29号", "branch"),
    (
        "nishinomiyahama",
        "西宮浜分室",
        "Nishinomiya-hama Branch",
        "西宮市西宮浜4丁目13番1号",
        "branch",
    ),
)
GENESIS_HASH = "0" * 64
CATEGORIES = (
    ("visitors", "outreach", "来場者", "Visitors"),
    ("applications", "outreach", "申請受付", "Applications taken"),
    ("smartphone_support", "outreach", "スマホ申請サポート", "Smartphone application support"),
    ("photo", "outreach", "顔写真撮影", "Face photos taken"),
    ("consultation", "outreach", "相談・問い合わせ", "Consultations and enquiries"),
    ("not_accepted", "outreach", "受付不可（書類不足等）", "Not accepted (missing documents etc.)"),
    ("issuance", "office", "交付", "Cards issued"),
    ("pin_reset", "office", "暗証番号再設定", "PIN resets"),
    ("certificate_renewal", "office", "電子証明書更新", "Certificate renewals"),
    ("card_update", "office", "券面事項変更", "Card detail changes"),
    ("consultation", "office", "相談・問い合わせ", "Consultations and enquiries"),
    ("not_accepted", "office", "受付不可", "Not accepted"),
)


class Site(Table, tablename="site"):
    code = Varchar(length=40)
    name_ja = Varchar(length=200)
    name_en = Varchar(length=200)
    address = Text()
    kind = Varchar(length=20)
    fixed = Boolean()
    active = Boolean()
    created_at = Timestamptz()


class AuditHead(Table, tablename="audit_head"):
    seq = BigInt()
    hash = Varchar(length=64)


class HeadcountCategory(Table, tablename="headcount_category"):
    code = Varchar(length=40)
    site_group = Varchar(length=10)
    label_ja = Varchar(length=100)
    label_en = Varchar(length=100)
    sort_order = Integer()
    active = Boolean()


async def seed():
    now = datetime.datetime.now(tz=datetime.UTC)
    sites = {row["code"] for row in await Site.select(Site.code)}
    missing = [
        Site(
            code=code,
            name_ja=ja,
            name_en=en,
            address=address,
            kind=kind,
            fixed=True,
            active=True,
            created_at=now,
        )
        for code, ja, en, address, kind in FIXED_SITES
        if code not in sites
    ]
    if missing:
        await Site.insert(*missing)
    if not await AuditHead.exists().where(AuditHead.id == 1):
        await AuditHead.insert(AuditHead(id=1, seq=0, hash=GENESIS_HASH))
    groups = await HeadcountCategory.select(HeadcountCategory.site_group, HeadcountCategory.code)
    categories = {(row["site_group"], row["code"]) for row in groups}
    missing = [
        HeadcountCategory(
            code=code, site_group=group, label_ja=ja, label_en=en, sort_order=i, active=True
        )
        for i, (code, group, ja, en) in enumerate(CATEGORIES)
        if (group, code) not in categories
    ]
    if missing:
        await HeadcountCategory.insert(*missing)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="madoguchi", description=DESCRIPTION)
    manager.add_raw(seed)
    return manager
