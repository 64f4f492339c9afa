"""Counts the work really has: an outreach venue is either 出張申請受付 (``reception``:
identity checked on site, the card mailed) or 出張申請サポート (``support``: the resident
collects the card later), and each has its own default categories; fixed counters split
交付 and 申請 the way cities report them.

Categories replaced by finer ones are retired (``active`` false), never deleted: counts
already made under them stay as they were. Going backwards drops the new column and makes
the retired categories active again; the new ones stay, as counts may use them.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Integer, Varchar
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-12-05T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "site.venue_service; categories for 出張申請受付, 出張申請サポート and counters"

# Literal copies: migrations are history. (code, Japanese, English), in their order.
RECEPTION = (
    ("visitors", "来場者", "Visitors"),
    ("consultation", "相談のみ", "Consultation only"),
    ("applications_mail", "申請受付（郵送交付）", "Applications: card mailed"),
    ("applications_collect", "申請受付（交付時来庁）", "Applications: collected at a counter"),
    ("smartphone_support", "スマホ申請支援", "Smartphone application support"),
    ("photo", "顔写真撮影", "Face photos taken"),
    ("face_auth_card", "顔認証カード選択", "Face-authentication card chosen"),
    ("not_accepted_documents", "受付不可：書類不足", "Not accepted: missing documents"),
    (
        "not_accepted_minor",
        "受付不可：15歳未満（代理人なし）",
        "Not accepted: under 15, no guardian",
    ),
    ("not_accepted_forwarding", "受付不可：転送届あり", "Not accepted: mail forwarding"),
    ("not_accepted_moving", "受付不可：転居予定", "Not accepted: moving soon"),
    ("not_accepted_nonresident", "受付不可：市外在住", "Not accepted: lives outside the city"),
    ("not_accepted_other", "受付不可：その他", "Not accepted: other reason"),
)
SUPPORT_CODES = (
    "visitors",
    "consultation",
    "applications_collect",
    "smartphone_support",
    "photo",
    "face_auth_card",
    "not_accepted_documents",
    "not_accepted_minor",
    "not_accepted_nonresident",
    "not_accepted_other",
)
OFFICE = (
    ("issuance_reserved", "交付（予約）", "Issued: booked"),
    ("issuance_walkin", "交付（予約なし）", "Issued: walk-in"),
    ("application_new", "申請（新規）", "New applications"),
    ("application_renewal", "申請（更新）", "Renewals"),
    ("application_lost", "申請（紛失再交付）", "Lost cards"),
    ("certificate_new", "電子証明書（新規）", "New certificates"),
    ("certificate_renewal", "電子証明書（更新）", "Cert. renewals"),
    ("pin_reset", "暗証番号再設定", "PIN resets"),
    ("card_update", "券面事項追記", "Card updates"),
    ("surrender", "返納・廃止", "Cards returned"),
    ("suspension_lift", "一時停止解除", "Suspension lifts"),
    ("consultation", "相談・問い合わせ", "Consultations"),
    ("phone", "電話", "Phone calls"),
    ("no_show", "予約無断キャンセル", "No-shows"),
    ("not_accepted", "受付不可", "Not accepted"),
)
RETIRED = (("outreach", "applications"), ("outreach", "not_accepted"), ("office", "issuance"))


class HeadcountCategory(Table, tablename="headcount_category"):
    code = Varchar(length=40)
    site_group = Varchar(length=10)
    label_ja = Varchar(length=100)
    label_en = Varchar(length=100)
    sort_order = Integer()
    active = Boolean()


def _wanted() -> list[tuple[str, str, str, str]]:
    labels = {code: (ja, en) for code, ja, en in RECEPTION}
    return [
        *((code, "outreach", ja, en) for code, ja, en in RECEPTION),
        *((code, "support", *labels[code]) for code in SUPPORT_CODES),
        *((code, "office", ja, en) for code, ja, en in OFFICE),
    ]


async def _categories() -> None:
    rows = await HeadcountCategory.select(
        HeadcountCategory.id, HeadcountCategory.site_group, HeadcountCategory.code
    )
    existing = {(row["site_group"], row["code"]): row["id"] for row in rows}
    for group, code in RETIRED:
        if (group, code) in existing:
            await HeadcountCategory.update({HeadcountCategory.active: False}).where(
                HeadcountCategory.id == existing[(group, code)]
            )
    orders: dict[str, int] = {}
    for code, group, ja, en in _wanted():
        order = orders[group] = orders.get(group, -1) + 1
        if (group, code) in existing:
            await HeadcountCategory.update(
                {
                    HeadcountCategory.label_ja: ja,
                    HeadcountCategory.label_en: en,
                    HeadcountCategory.sort_order: order,
                }
            ).where(HeadcountCategory.id == existing[(group, code)])
        else:
            await HeadcountCategory.insert(
                HeadcountCategory(
                    code=code,
                    site_group=group,
                    label_ja=ja,
                    label_en=en,
                    sort_order=order,
                    active=True,
                )
            )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="madoguchi", description=DESCRIPTION)

    async def add():
        await engine_finder().run_ddl(
            'ALTER TABLE "site" ADD COLUMN "venue_service" VARCHAR(12) NOT NULL '
            "DEFAULT 'reception'"
        )
        await _categories()

    async def drop():
        await engine_finder().run_ddl('ALTER TABLE "site" DROP COLUMN "venue_service"')
        for group, code in RETIRED:
            await HeadcountCategory.update({HeadcountCategory.active: True}).where(
                (HeadcountCategory.site_group == group) & (HeadcountCategory.code == code)
            )

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
