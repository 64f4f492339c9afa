"""Headcount categories are configurable per kind of site, through the one write path."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from server.common.errors import OpRejected
from server.headcounts import service as headcounts
from server.settings import Settings
from server.sync import ops
from tests import dbutil
from tests.support.cleanup import restore_categories
from tests.support.field import apply, count_one, open_session, window
from tests.support.identities import make_staff, sign_in


@pytest.fixture(autouse=True)
def seeded_categories_after(database_url: str) -> object:
    """Leave the seeded categories as the migration made them."""
    yield
    restore_categories(database_url)


NOT_ACCEPTED = [
    "書類不足",
    "15歳未満（代理人なし）",
    "転送届あり",
    "転居予定",
    "市外在住",
    "その他",
]


async def test_defaults_follow_the_work_at_each_kind_of_site(client: httpx.AsyncClient) -> None:
    """出張申請受付 splits applications by how the card reaches the resident and counts
    each reason an application was not accepted; 出張申請サポート only hands cards over at a
    counter later; fixed counters split 交付 and 申請 as cities report them."""
    reception = [c.label_ja for c in await headcounts.categories("outreach")]
    support = [c.label_ja for c in await headcounts.categories("support")]
    office = [c.label_ja for c in await headcounts.categories("office")]
    assert reception[:4] == ["来場者", "相談のみ", "申請受付（郵送交付）", "申請受付（交付時来庁）"]
    assert "顔認証カード選択" in reception
    assert [label for label in reception if label.startswith("受付不可：")] == [
        f"受付不可：{reason}" for reason in NOT_ACCEPTED
    ]
    assert "申請受付（郵送交付）" not in support and "申請受付（交付時来庁）" in support
    assert "受付不可：転送届あり" not in support and "受付不可：書類不足" in support
    assert office[:5] == [
        "交付（予約）",
        "交付（予約なし）",
        "申請（新規）",
        "申請（更新）",
        "申請（紛失再交付）",
    ]
    assert {"返納・廃止", "一時停止解除", "電話", "予約無断キャンセル"} <= set(office)
    assert "来場者" not in office and "交付" not in office
    # The coarse categories they replace are retired, not deleted: their counts stay.
    retired = {
        (group, c.label_ja)
        for group in ("outreach", "office")
        for c in await headcounts.categories(group, include_inactive=True)
        if not c.active
    }
    assert retired == {
        ("outreach", "申請受付"),
        ("outreach", "受付不可（書類不足等）"),
        ("office", "交付"),
    }


async def test_manager_adds_and_retires_a_category(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A new venue category can be counted; once retired it cannot, and its counts stay."""
    manager = await make_staff("business_manager")
    await sign_in(client, manager, settings)
    response = await client.post(
        "/sites/categories",
        data={
            "site_group": "outreach",
            "label_ja": "保険証利用登録支援",
            "label_en": "Health insurance link support",
        },
    )
    assert response.status_code == 303
    code = str(
        dbutil.fetch(
            database_url,
            "SELECT code FROM headcount_category WHERE label_ja = '保険証利用登録支援'",
        )[0][0]
    )
    venue = int(dbutil.fetch(database_url, "SELECT id FROM site WHERE kind = 'branch'")[0][0])
    ids = await open_session(settings, site_id=venue)
    with pytest.raises(OpRejected):  # a venue category is not counted at a branch office
        await count_one(settings, ids, code)
    page = await client.get("/sites/categories")
    assert "保険証利用登録支援" in page.text
    toggled = await client.post(f"/sites/categories/outreach/{code}/toggle")
    assert toggled.status_code == 303
    assert code not in {c.code for c in await headcounts.categories("outreach")}
    actions = [r[0] for r in dbutil.fetch(database_url, "SELECT action FROM audit_event")]
    assert {"headcount.category_add", "headcount.category_set_active"} <= set(actions)


async def test_category_rules_name_the_field(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Empty or duplicate labels and a My Number in a label are refused; operators get 403."""
    manager = await make_staff("overall_manager")
    await sign_in(client, manager, settings)
    for label, message in (
        ("", "項目名を1〜100文字"),
        ("来場者", "すでにあります"),
        ("番号123456789018", "個人番号"),
    ):
        response = await client.post(
            "/sites/categories", data={"site_group": "outreach", "label_ja": label}
        )
        assert response.status_code == 422
        assert re.search(message, response.text)
    before = dbutil.fetch(database_url, "SELECT count(*) FROM headcount_category")
    await sign_in(client, await make_staff("operator"), settings)
    denied = await client.post(
        "/sites/categories", data={"site_group": "office", "label_ja": "新しい項目"}
    )
    assert denied.status_code == 403
    assert dbutil.fetch(database_url, "SELECT count(*) FROM headcount_category") == before


async def test_each_applied_op_lands_in_the_audit_log(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Every applied op adds one audit entry naming its type, actor and target."""
    dbutil.execute(database_url, "DELETE FROM audit_event")
    dbutil.execute(database_url, f"UPDATE audit_head SET seq = 0, hash = '{'0' * 64}'")
    ids = await open_session(settings, site_id=1)
    _, start, _ = window()
    await apply(
        ops.HeadcountAdd(
            payload=ops.AddHeadcount(
                work_session_id=ids["session"],
                slot_start=start + dt.timedelta(minutes=30),
                category="issuance_reserved",
                delta=1,
            ),
            op_id="0193e0a0-0000-7000-8000-000000000001",
        ),
        ids["operator"],
        "operator",
        settings,
    )
    rows = dbutil.fetch(
        database_url, "SELECT action, actor_id, target, detail FROM audit_event ORDER BY seq"
    )
    assert [r[0] for r in rows] == [
        "work_session.plan",
        "work_session.assign",
        "work_session.assign",
        "work_session.open",
        "headcount.add",
    ]
    assert rows[-1][1] == ids["operator"]
    assert rows[-1][2] == f"work_session:{ids['session']}"
    assert "0193e0a0-0000-7000-8000-000000000001" in str(rows[-1][3])
    dbutil.execute(database_url, "DELETE FROM audit_event")
    dbutil.execute(database_url, f"UPDATE audit_head SET seq = 0, hash = '{'0' * 64}'")
