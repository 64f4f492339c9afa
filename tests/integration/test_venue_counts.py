"""What a venue counts follows what is done there: 出張申請受付 (the card mailed) or
出張申請サポート (collected later), chosen when the venue is added; counters count the
finer categories, and a retired category's counts stay."""

from __future__ import annotations

import re

import httpx
import pytest

from server.common.errors import OpRejected
from server.headcounts import service as headcounts
from server.settings import Settings
from server.sites import service as sites
from tests import dbutil
from tests.support.field import count_one, open_session, window
from tests.support.identities import make_staff, sign_in


async def _add_venue(client: httpx.AsyncClient, name: str, service: str | None) -> int:
    form = {"name_ja": name, "venue_kind": "university"}
    if service is not None:
        form["venue_service"] = service
    response = await client.post("/sites/venues", data=form)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rpartition("site-")[2])


async def test_a_venue_counts_what_is_done_there(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Added through the form, a support venue shows its kind on the list and refuses a
    mail-out application; a reception venue (the default) takes it."""
    await sign_in(client, await make_staff("overall_manager"), settings)
    support = await _add_venue(client, "ガーデンズ 出張申請サポート", "support")
    reception = await _add_venue(client, "上ケ原キャンパス 出張申請受付", None)
    page = (await client.get("/sites", headers={"Accept-Language": "ja"})).text
    card = re.search(rf'id="site-{support}".*?</li>', page, re.S)
    assert card and "出張申請サポート" in card.group(0)
    assert (await sites.get_site(support)).counted_as == "support"  # type: ignore[union-attr]
    assert (await sites.get_site(reception)).counted_as == "outreach"  # type: ignore[union-attr]

    at_support = await open_session(settings, site_id=support)
    with pytest.raises(OpRejected) as refused:
        await count_one(settings, at_support, "applications_mail")
    assert refused.value.code == "category_unknown"
    await count_one(settings, at_support, "applications_collect")

    at_reception = await open_session(settings, site_id=reception)
    await count_one(settings, at_reception, "applications_mail")
    await count_one(settings, at_reception, "not_accepted_forwarding")
    field = (
        await client.get(
            f"/field/sessions/{at_support['session']}", headers={"Accept-Language": "ja"}
        )
    ).text
    assert 'data-category="applications_collect"' in field
    assert 'data-category="applications_mail"' not in field
    rows = dbutil.fetch(database_url, "SELECT category FROM headcount ORDER BY id")
    assert [r[0] for r in rows] == [
        "applications_collect",
        "applications_mail",
        "not_accepted_forwarding",
    ]


async def test_an_unknown_service_is_refused_in_the_users_language(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A venue service the form does not offer: 422 naming the field, nothing added."""
    await sign_in(client, await make_staff("overall_manager"), settings)
    before = len(await sites.list_sites(include_retired=True))
    response = await client.post(
        "/sites/venues",
        data={"name_ja": "どこか", "venue_kind": "university", "venue_service": "mailing"},
        headers={"Accept-Language": "ja"},
    )
    assert response.status_code == 422
    assert "会場で行う業務を選んでください。" in response.text
    assert len(await sites.list_sites(include_retired=True)) == before


async def test_a_retired_category_is_refused_and_its_counts_stay(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """交付 before it was split: a count already made stays in the totals; a new one is
    refused (a tablet with an old page keeps it for review, nothing lost)."""
    ids = await open_session(settings, site_id=1)
    _, start, _ = window()
    dbutil.execute(
        database_url,
        "INSERT INTO headcount_cell (work_session, slot_start, category, n) "
        f"VALUES ({ids['session']}, '{start.isoformat()}', 'issuance', 4)",
    )
    totals = await headcounts.totals(ids["session"])
    assert totals.by_category.get("issuance") == 4
    with pytest.raises(OpRejected) as refused:
        await count_one(settings, ids, "issuance")
    assert refused.value.code == "category_unknown"
    await count_one(settings, ids, "issuance_walkin")
    totals = await headcounts.totals(ids["session"])
    assert totals.by_category == {"issuance": 4, "issuance_walkin": 1}
