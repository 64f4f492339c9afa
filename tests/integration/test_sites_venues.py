"""Sites and outreach venues: the rules through apply_op, and the /sites page as each role."""

from __future__ import annotations

import re

import httpx
import pytest

from server.common.errors import OpRejected
from server.common.mynumber import contains_my_number
from server.settings import Settings
from server.sites import service as sites
from server.sync import ops
from server.work_sessions import service as work_sessions
from tests import dbutil
from tests.support.field import apply, plan_session
from tests.support.identities import make_staff, sign_in
from tests.support.pages import field_error

MY_NUMBER = "123456789018"  # passes the check digit
NOT_MY_NUMBER = "123456789010"  # 12 digits, wrong check digit
MY_NUMBER_JA = "個人番号（マイナンバー）と思われる12桁の番号が含まれているため"


def add_venue(name: str, kind: str = "university", **fields: str) -> ops.SiteAddVenue:
    """A ``site.add_venue`` op."""
    return ops.SiteAddVenue(
        payload=ops.AddVenue(name_ja=name, venue_kind=kind, **fields)  # type: ignore[arg-type]
    )


def retire(site_id: int) -> ops.SiteRetire:
    """A ``site.retire`` op."""
    return ops.SiteRetire(payload=ops.RetireVenue(site_id=site_id))


def site_count(url: str) -> int:
    """Rows in the site table."""
    return dbutil.count(url, "site")


def section(html: str, testid: str) -> str:
    """The ``<ul data-testid=…>`` list of the page."""
    found = re.search(rf'<ul class="cards" data-testid="{testid}">(.*?)</ul>', html, re.S)
    assert found, html[-3000:]
    return found.group(1)


@pytest.fixture
async def manager(client: httpx.AsyncClient) -> int:
    """An overall manager (binds the app to this run's database through ``client``)."""
    return await make_staff("overall_manager")


# --- rules, through the one write path ---------------------------------------------------


async def test_fixed_site_cannot_be_retired(manager: int, settings: Settings) -> None:
    """Retiring one of the contract's fixed sites is refused and the site stays active."""
    with pytest.raises(OpRejected) as refused:
        await apply(retire(1), manager, "overall_manager", settings)
    assert refused.value.code == "site_fixed"
    site = await sites.get_site(1)
    assert site is not None and site.fixed and site.active


async def test_retired_venue_keeps_its_data(manager: int, settings: Settings) -> None:
    """A retired venue is kept with its work sessions but no longer listed or plannable."""
    venue = await apply(add_venue("西宮市立大学 体育館"), manager, "overall_manager", settings)
    venue_id = int(venue.entity_id or 0)
    session_id = await plan_session(settings, site_id=venue_id, manager_id=manager)
    assert venue_id in {s.id for s in await sites.list_sites()}

    await apply(retire(venue_id), manager, "overall_manager", settings)

    assert venue_id not in {s.id for s in await sites.list_sites()}
    kept = await sites.get_site(venue_id)
    assert kept is not None and not kept.active and kept.name_ja == "西宮市立大学 体育館"
    session = await work_sessions.get(session_id)
    assert session is not None and session.site_id == venue_id
    assert session.site_name_ja == "西宮市立大学 体育館"
    with pytest.raises(OpRejected) as refused:
        await plan_session(settings, site_id=venue_id, manager_id=manager, start_hour=17, hours=1)
    assert refused.value.code == "site_unknown"


@pytest.mark.parametrize("field", ["name_ja", "name_en", "address", "notes"])
async def test_my_number_in_venue_text_is_refused(
    manager: int, settings: Settings, database_url: str, field: str
) -> None:
    """A valid My Number in any free-text field of a venue is refused (my_number), nothing kept."""
    assert contains_my_number(MY_NUMBER)
    fields = {"name_ja": "会場", field: f"連絡先 {MY_NUMBER}"}
    before = site_count(database_url)
    with pytest.raises(OpRejected) as refused:
        await apply(
            add_venue(fields.pop("name_ja"), **fields), manager, "overall_manager", settings
        )
    assert (refused.value.code, refused.value.field) == ("my_number", field)
    assert site_count(database_url) == before


async def test_twelve_digits_without_a_valid_check_digit_are_kept(
    manager: int, settings: Settings
) -> None:
    """The guard is the check digit, not any 12 digits: a wrong check digit is stored."""
    assert not contains_my_number(NOT_MY_NUMBER)
    applied = await apply(
        add_venue("会場", notes=f"受付番号 {NOT_MY_NUMBER}"), manager, "overall_manager", settings
    )
    site = await sites.get_site(int(applied.entity_id or 0))
    assert site is not None and NOT_MY_NUMBER in site.notes


# --- pages, as each role ------------------------------------------------------------------


async def test_manager_adds_and_retires_a_venue(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A business manager adds venues of each kind (labels in Japanese) and retires one."""
    await sign_in(client, await make_staff("business_manager"), settings)
    page = await client.get("/sites")
    assert page.status_code == 200
    assert 'action="/sites/venues"' in page.text
    assert 'name="name_ja" value="" required maxlength="200" data-free-text' in page.text
    labels = {
        "university": "大学等",
        "commercial": "商業施設",
        "community_hall": "公民館等",
        "other": "その他",
    }
    for kind in labels:
        added = await client.post(
            "/sites/venues",
            data={"name_ja": f"会場 {kind}", "venue_kind": kind, "address": "西宮市"},
        )
        assert added.status_code == 303
        assert added.headers["location"].startswith("/sites?done=added")
    rows = dbutil.fetch(
        database_url, "SELECT id, venue_kind FROM site WHERE kind = 'outreach_venue' ORDER BY id"
    )
    assert [r[1] for r in rows] == list(labels)

    page = await client.get("/sites?done=added")
    venues = section(page.text, "venues")
    for kind, label in labels.items():
        card = re.search(
            rf"会場 {kind}</span>\s*<span class=\"card-meta\">(.*?)</span>\s*</span>", venues, re.S
        )
        assert card and label in card.group(1), (kind, venues)
    assert "追加しました" in page.text
    assert "本庁舎" in section(page.text, "fixed-sites")

    retired_id = rows[0][0]
    retired = await client.post(f"/sites/{retired_id}/retire")
    assert retired.status_code == 303
    page = await client.get(retired.headers["location"])
    assert "会場 university" not in section(page.text, "venues")
    assert "会場 university" in section(page.text, "retired-venues")
    assert dbutil.fetch(database_url, f"SELECT active FROM site WHERE id = {retired_id}")[0][0] in (
        False,
        0,
    )


@pytest.mark.parametrize("role", ["operator", "city_staff"])
async def test_non_managers_cannot_change_sites(
    client: httpx.AsyncClient, settings: Settings, database_url: str, role: str
) -> None:
    """Operators and city staff read /sites without forms; their posts get 403, nothing changes."""
    manager = await make_staff("business_manager")
    venue = await apply(
        add_venue("公民館 A", "community_hall"), manager, "business_manager", settings
    )
    await sign_in(client, await make_staff(role), settings)
    page = await client.get("/sites")
    assert page.status_code == 200
    assert "公民館 A" in section(page.text, "venues")
    assert 'action="/sites/venues"' not in page.text
    assert "/retire" not in page.text
    before = site_count(database_url)
    added = await client.post("/sites/venues", data={"name_ja": "X", "venue_kind": "other"})
    assert added.status_code == 403
    retired = await client.post(f"/sites/{venue.entity_id}/retire")
    assert retired.status_code == 403
    assert site_count(database_url) == before
    active = dbutil.fetch(database_url, f"SELECT active FROM site WHERE id = {venue.entity_id}")
    assert active[0][0] in (True, 1)


async def test_form_errors_show_japanese_messages_next_to_the_field(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Refused venue forms answer 422 with the Japanese message by the field; nothing stored."""
    await sign_in(client, await make_staff("deputy_manager"), settings)
    before = site_count(database_url)

    mine = await client.post(
        "/sites/venues",
        data={"name_ja": "会場", "venue_kind": "other", "notes": f"電話 {MY_NUMBER}"},
    )
    assert mine.status_code == 422
    assert MY_NUMBER_JA in field_error(mine.text, "notes")
    assert field_error(mine.text, "name_ja") == ""
    assert 'value="会場"' in mine.text  # what was typed is kept

    empty = await client.post("/sites/venues", data={"name_ja": "  ", "venue_kind": "other"})
    assert empty.status_code == 422
    assert field_error(empty.text, "name_ja") == "名称は1〜200文字で入力してください。"

    kind = await client.post("/sites/venues", data={"name_ja": "会場", "venue_kind": "stadium"})
    assert kind.status_code == 422
    assert field_error(kind.text, "venue_kind") == "会場の種類を選んでください。"

    fixed = await client.post("/sites/1/retire")
    assert fixed.status_code == 422
    assert "契約上の履行場所は使用終了にできません。" in fixed.text
    assert site_count(database_url) == before
    assert dbutil.fetch(database_url, "SELECT COUNT(*) FROM site WHERE NOT active")[0][0] == 0


async def test_sites_page_needs_sign_in(client: httpx.AsyncClient) -> None:
    """Anonymous visitors are sent to the sign-in page."""
    response = await client.get("/sites", headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsites"
