"""A journal's life through the forms: the business manager or deputy submits the day with
its figures frozen, the city returns it with a comment, it is revised with a reason and
acknowledged; every step audited and kept; each refusal said in the user's language."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from server.settings import Settings
from tests import dbutil
from tests.support.audit_trail import Actors
from tests.support.field import JST, count_one, open_session
from tests.support.identities import make_staff, sign_in

SITE = 1
JA = {"Accept-Language": "ja"}


def _form(day: dt.date, **fields: str) -> dict[str, str]:
    return {"site_id": str(SITE), "day": day.isoformat(), **fields}


async def _page(client: httpx.AsyncClient, day: dt.date) -> str:
    response = await client.get(f"/journal?site_id={SITE}&day={day.isoformat()}", headers=JA)
    assert response.status_code == 200
    return response.text


def _status(html: str) -> str:
    found = re.search(r'data-testid="journal-status">([^<]*)<', html)
    assert found
    return found.group(1)


def _events(url: str) -> list[tuple[object, ...]]:
    return dbutil.fetch(
        url, "SELECT version, action, reason, comment FROM journal_event ORDER BY id"
    )


async def test_submit_return_revise_acknowledge(
    client: httpx.AsyncClient, settings: Settings, database_url: str, audited: Actors
) -> None:
    """The deputy submits (figures frozen), a later count shows as changed since then; the
    city returns it with a comment; a revision needs a reason; the city acknowledges the
    second version; the history holds every step with who did it."""
    day = dt.datetime.now(JST).date()
    ids = await open_session(settings, site_id=SITE, day=day)
    await count_one(settings, ids, "issuance_reserved")
    deputy = await make_staff("deputy_manager")
    city = await make_staff("city_staff")

    await sign_in(client, deputy, settings)
    draft = await _page(client, day)
    assert _status(draft) == "未提出" and 'data-testid="journal-reason"' not in draft
    submitted = await client.post(
        "/journal/submit",
        data=_form(day, base_version="0", notes="端末1台の起動が遅かった", handover=""),
    )
    assert submitted.status_code == 303
    await count_one(settings, ids, "issuance_reserved")  # synced after the submission
    html = await _page(client, day)
    assert _status(html) == "提出済" and "第1版" in html
    assert re.search(r'data-testid="journal-total">1<', html)  # as submitted
    changed = re.search(r'data-testid="journal-changed">(.*?)</section>', html, re.S)
    assert changed and "交付（予約）: 1 → 2" in changed.group(1)

    await sign_in(client, city, settings)
    refused = await client.post(
        "/journal/return", data=_form(day, version="1", comment=" "), headers=JA
    )
    assert refused.status_code == 422 and "修正してほしい点を入力してください。" in refused.text
    returned = await client.post(
        "/journal/return", data=_form(day, version="1", comment="苦情の件数を確認してください")
    )
    assert returned.status_code == 303
    assert _status(await _page(client, day)) == "差し戻し"

    await sign_in(client, deputy, settings)
    before = _events(database_url)
    no_reason = await client.post(
        "/journal/submit", data=_form(day, base_version="1", notes="再提出"), headers=JA
    )
    assert no_reason.status_code == 422
    assert "提出済みの業務日誌を修正する理由を入力してください。" in no_reason.text
    assert _events(database_url) == before
    stale = await client.post(
        "/journal/submit", data=_form(day, base_version="0", reason="古い画面"), headers=JA
    )
    assert stale.status_code == 422 and "他の人が更新しました" in stale.text
    revised = await client.post(
        "/journal/submit",
        data=_form(day, base_version="1", notes="再提出", reason="交付件数の訂正"),
    )
    assert revised.status_code == 303

    await sign_in(client, city, settings)
    acknowledged = await client.post("/journal/acknowledge", data=_form(day, version="2"))
    assert acknowledged.status_code == 303
    html = await _page(client, day)
    assert _status(html) == "市確認済"
    assert re.search(r'data-testid="journal-total">2<', html)  # version 2 froze both counts
    assert 'data-testid="journal-changed"' not in html
    assert _events(database_url) == [
        (1, "submitted", "", ""),
        (1, "returned", "", "苦情の件数を確認してください"),
        (2, "submitted", "交付件数の訂正", ""),
        (2, "acknowledged", "", ""),
    ]
    history = re.search(r'data-testid="journal-history">(.*?)</ol>', html, re.S)
    assert history and history.group(1).count('data-testid="journal-step"') == 4
    names = dict(
        dbutil.fetch(
            database_url, f"SELECT id, display_name FROM staff WHERE id IN ({deputy}, {city})"
        )
    )
    assert str(names[deputy]) in history.group(1) and str(names[city]) in history.group(1)
    assert "交付件数の訂正" in history.group(1)
    journal = dbutil.fetch(database_url, "SELECT id FROM journal")[0][0]
    target = f"journal:{journal}"
    assert audited("journal.submit", target) == [(deputy,), (deputy,)]
    assert audited("journal.return", target) == [(city,)]
    assert audited("journal.acknowledge", target) == [(city,)]


async def test_who_may_submit_and_acknowledge(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Operators, overall managers and city staff cannot submit; a business manager cannot
    acknowledge; nothing is stored for any of them."""
    day = dt.datetime.now(JST).date()
    for role in ("operator", "overall_manager", "city_staff"):
        await sign_in(client, await make_staff(role), settings)
        answer = await client.post("/journal/submit", data=_form(day, base_version="0"))
        assert answer.status_code == 403, role
    await sign_in(client, await make_staff("business_manager"), settings)
    assert (
        await client.post("/journal/submit", data=_form(day, base_version="0"))
    ).status_code == 303
    for path in ("/journal/acknowledge", "/journal/return"):
        answer = await client.post(path, data=_form(day, version="1", comment="x"))
        assert answer.status_code == 403
    assert [e[1] for e in _events(database_url)] == ["submitted"]


async def test_bad_input_is_refused_in_the_users_language(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A future day, a My Number in the notes, acknowledging what was never submitted:
    each refused with its reason, in Japanese or English, and nothing stored."""
    await sign_in(client, await make_staff("business_manager"), settings)
    tomorrow = dt.datetime.now(JST).date() + dt.timedelta(days=1)
    future = await client.post(
        "/journal/submit", data=_form(tomorrow, base_version="0"), headers=JA
    )
    assert future.status_code in (400, 422)
    assert "業務日誌は本日以前の日付についてのみ表示できます。" in future.text
    today = dt.datetime.now(JST).date()
    for language, words in (("ja", "個人番号"), ("en", "My Number")):
        answer = await client.post(
            "/journal/submit",
            data=_form(today, base_version="0", notes="番号 123456789018 の方"),
            headers={"Accept-Language": language},
        )
        assert answer.status_code == 422 and words in answer.text
    await sign_in(client, await make_staff("city_staff"), settings)
    never = await client.post("/journal/acknowledge", data=_form(today, version="1"), headers=JA)
    assert never.status_code == 422
    assert "確認・差し戻しができるのは提出済みの業務日誌だけです。" in never.text
    assert dbutil.fetch(database_url, "SELECT count(*) FROM journal")[0][0] == 0
