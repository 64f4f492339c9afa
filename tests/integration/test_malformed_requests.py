"""Malformed bodies and values get a 4xx naming what is wrong, in the visitor's language.

Each case once answered 500 (issue 16, point 8): JSON that is not UTF-8 or nests 1000 deep,
a NUL in a device label or in any text field of a form (PostgreSQL cannot store it), ids
beyond what the id columns hold, and a refused tap posted without htmx (a redirect lost
the refusal). Every case checks that nothing was written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest

from server.auth.web import SESSION_COOKIE
from server.common.clock import JST
from server.settings import Settings
from server.sync import ops
from tests import dbutil
from tests.support.field import apply, new_uid, open_session, window
from tests.support.identities import sign_in, sign_out

MY_NUMBER = "057830862716"
NOT_UTF8 = b"\xf4\x90\x80\x80"  # past U+10FFFF: no UTF-8 decoder accepts it
HUGE = str(2**63)  # past int64: both engines overflow on it
CONTROL_JA = "制御文字が含まれているため、保存できません。"
# Tables a refused request must leave as they were (a refused sign-in is audited).
WATCHED = (
    "site",
    "headcount_category",
    "headcount",
    "incident",
    "incident_revision",
    "work_session",
    "work_session_staff",
    "invite",
    "device",
    "device_day_report",
    "sync_issue",
)


def counts(url: str) -> dict[str, int]:
    """Rows per watched table, read outside the app."""
    return {t: int(dbutil.fetch(url, f"SELECT count(*) FROM {t}")[0][0]) for t in WATCHED}


def japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


@dataclasses.dataclass
class World:
    """A signed-in overall manager, an open work session and one incident."""

    client: httpx.AsyncClient
    url: str
    manager: int
    site: int
    session: int
    operator: int
    incident: str
    cookie: str


@pytest.fixture
async def world(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> AsyncIterator[World]:
    branch = dbutil.fetch(database_url, "SELECT id FROM site WHERE kind = 'branch'")[0][0]
    ids = await open_session(settings, site_id=int(str(branch)))
    uid = new_uid()
    await apply(
        ops.IncidentCreate(
            payload=ops.CreateIncident(
                uid=uid,
                site_id=int(str(branch)),
                category="complaint",
                severity="low",
                occurred_at=dt.datetime.now(dt.UTC),
                description="窓口で苦情",
            )
        ),
        ids["manager"],
        "overall_manager",
        settings,
    )
    cookie = await sign_in(client, ids["manager"], settings)
    client.headers["Accept-Language"] = "ja"
    yield World(
        client=client,
        url=database_url,
        manager=ids["manager"],
        site=int(str(branch)),
        session=ids["session"],
        operator=ids["operator"],
        incident=uid,
        cookie=cookie,
    )
    dbutil.execute(database_url, "DELETE FROM headcount_category WHERE code LIKE 'c-%'")


# --- JSON bodies ----------------------------------------------------------------------------

# path -> (body with %s where a string goes, signed in?)
JSON_ROUTES: dict[str, tuple[bytes, bool]] = {
    "/api/devices": (b'{"label": "%s"}', True),
    "/api/sync/push": (b'{"device_id": "%s", "schema_version": 1, "ops": []}', True),
    "/api/sync/report": (b'{"device_id": "%s", "reports": []}', True),
    "/auth/register/options": (b'{"token": "%s"}', False),
    "/auth/register/verify": (b'{"token": "%s", "credential": {}}', False),
    "/auth/login/verify": (b'{"credential": {"id": "%s"}}', False),
}


def nested(template: bytes, depth: int) -> bytes:
    """``template`` with its string replaced by arrays nested ``depth`` deep."""
    return template.replace(b'"%s"', b"[" * depth + b"]" * depth)


async def post_json(world: World, path: str, body: bytes) -> httpx.Response:
    signed_in = JSON_ROUTES[path][1]
    if signed_in:
        world.client.cookies.set(SESSION_COOKIE, world.cookie)
    else:
        sign_out(world.client)
    return await world.client.post(path, content=body, headers={"content-type": "application/json"})


def assert_json_refusal(response: httpx.Response, path: str) -> None:
    assert 400 <= response.status_code < 500, (path, response.status_code, response.text[:300])
    payload = response.json()
    assert isinstance(payload.get("error"), str) and payload["error"], payload
    assert japanese(str(payload.get("message", ""))), payload


@pytest.mark.parametrize("path", list(JSON_ROUTES))
async def test_json_that_is_not_utf8_is_a_400(world: World, path: str) -> None:
    """Bytes that are not UTF-8 inside a JSON string: a JSON error in Japanese, no row."""
    before = counts(world.url)
    body = JSON_ROUTES[path][0].replace(b"%s", NOT_UTF8)
    assert_json_refusal(await post_json(world, path, body), path)
    assert counts(world.url) == before


@pytest.mark.parametrize("depth", [500, 1000, 5000])
@pytest.mark.parametrize("path", list(JSON_ROUTES))
async def test_deeply_nested_json_is_a_400(world: World, path: str, depth: int) -> None:
    """Arrays nested 500, 1000 and 5000 deep: each a 4xx JSON error, no row."""
    before = counts(world.url)
    assert_json_refusal(await post_json(world, path, nested(JSON_ROUTES[path][0], depth)), path)
    assert counts(world.url) == before


@pytest.mark.parametrize("label", ["tablet\\u0000one", "tab\\u001b[31m", f"番号{MY_NUMBER}"])
async def test_device_label_is_free_text(world: World, label: str) -> None:
    """A control character or a My Number in a device label: refused, no device stored."""
    before = counts(world.url)
    response = await post_json(world, "/api/devices", b'{"label": "%s"}' % label.encode())
    assert_json_refusal(response, "/api/devices")
    assert MY_NUMBER not in response.text
    assert counts(world.url) == before


async def test_device_label_has_a_length_limit(world: World) -> None:
    before = counts(world.url)
    response = await post_json(world, "/api/devices", b'{"label": "%s"}' % (b"a" * 101))
    assert_json_refusal(response, "/api/devices")
    assert counts(world.url) == before
    ok = await post_json(world, "/api/devices", b'{"label": "field tablet"}')
    assert ok.status_code == 200, ok.text


# --- Forms ----------------------------------------------------------------------------------


def forms(world: World) -> dict[str, tuple[str, dict[str, str], tuple[str, ...]]]:
    """name -> (path, a valid body, its free-text fields)."""
    today = dt.datetime.now(JST).date().isoformat()
    slot = window()[1].isoformat()  # the session's first slot (today 10:00 JST)
    return {
        "venue": (
            "/sites/venues",
            {
                "name_ja": "市民会館",
                "name_en": "Hall",
                "address": "1-1",
                "venue_kind": "university",
                "notes": "",
            },
            ("name_ja", "name_en", "address", "notes"),
        ),
        "category": (
            "/sites/categories",
            {"site_group": "outreach", "label_ja": "新区分", "label_en": "New"},
            ("label_ja", "label_en"),
        ),
        "incident": (
            "/incidents",
            {
                "uid": new_uid(),
                "site_id": str(world.site),
                "work_session_id": "",
                "category": "complaint",
                "severity": "low",
                "occurred_date": today,
                "occurred_time": "10:00",
                "description": "説明",
                "immediate_action": "",
            },
            ("description", "immediate_action"),
        ),
        "incident-edit": (
            f"/incidents/{world.incident}",
            {
                "base_version": "1",
                "description": "説明を直した",
                "immediate_action": "対応",
                "recurrence_prevention": "再発防止",
                "category": "complaint",
                "severity": "low",
                "status": "open",
            },
            ("description", "immediate_action", "recurrence_prevention"),
        ),
        "plan": (
            "/work-sessions",
            {
                "site_id": str(world.site),
                "work_date": today,
                "planned_start": "18:00",
                "planned_end": "19:00",
                "notes": "メモ",
            },
            ("notes",),
        ),
        "assign": (
            f"/work-sessions/{world.session}/staff",
            {"staff_id": str(world.operator), "duty": "operator"},
            (),
        ),
        "invite": (
            "/staff/invites",
            {"display_name": "新人 一郎", "role": "operator"},
            ("display_name",),
        ),
        "count": (
            f"/field/sessions/{world.session}/count",
            {"category": "issuance_reserved", "delta": "1", "slot": slot},
            (),
        ),
        "lang": ("/lang", {"lang": "en", "next": "/sites"}, ()),
    }


FORMS = ("venue", "category", "incident", "incident-edit", "plan", "assign", "invite", "count")


@pytest.mark.parametrize("name", FORMS)
async def test_nul_in_any_form_field_is_refused(world: World, name: str) -> None:
    """A NUL in each field of each form, in turn: a 4xx page in Japanese, nothing written;
    a free-text field gets the control-character message on the page."""
    path, body, free_text = forms(world)[name]
    for field, value in body.items():
        before = counts(world.url)
        sent = {**body, field: value + "\x00"}
        response = await world.client.post(path, data=sent)
        assert 400 <= response.status_code < 500, (name, field, response.status_code)
        assert japanese(response.text), (name, field)
        if field in free_text:
            assert CONTROL_JA in response.text, (name, field, response.text[:500])
        assert counts(world.url) == before, (name, field)


@pytest.mark.parametrize("field", ["site_id", "work_session_id"])
async def test_incident_with_an_id_out_of_range(world: World, field: str) -> None:
    """``site_id=2**63`` (and ``work_session_id``) on the filing form: a 400 naming it."""
    path, body, _ = forms(world)["incident"]
    before = counts(world.url)
    for value in (HUGE, str(2**31), "-1", "0"):
        response = await world.client.post(path, data={**body, field: value})
        assert response.status_code == 400, (value, response.status_code)
        assert 'data-testid="error-' + field + '"' in response.text, value
    assert counts(world.url) == before


@pytest.mark.parametrize(
    "path",
    [
        "/sites/{huge}/retire",
        "/staff/{huge}/deactivate",
        "/staff/{huge}/reinvite",
        "/field/sessions/{huge}/count",
        "/field/sessions/{huge}/open",
        "/field/sessions/{huge}/close",
        "/work-sessions/{huge}/staff",
        "/work-sessions/{session}/staff/{huge}/remove",
    ],
)
async def test_ids_out_of_range_in_urls(world: World, path: str) -> None:
    """An id past 2**31-1 in a URL: a page in Japanese naming it, not a database overflow."""
    before = counts(world.url)
    for huge in (HUGE, str(2**31)):
        target = path.format(huge=huge, session=world.session)
        response = await world.client.post(
            target, data={"category": "issuance_reserved", "delta": "1", "staff_id": "1"}
        )
        assert 400 <= response.status_code < 500, (target, response.status_code)
        assert japanese(response.text), target
    assert counts(world.url) == before


async def ids_refused(world: World, form: str, field: str) -> list[tuple[str, str]]:
    """Ids past 2**31-1 (or no number) in ``field`` of ``form``: each refused with 400 or 422
    and the field's error, nothing stored; returns each value with its page."""
    path, body, _ = forms(world)[form]
    before = counts(world.url)
    pages = []
    for value in (HUGE, str(2**31), "99999999999", "²"):
        response = await world.client.post(path, data={**body, field: value})
        assert response.status_code in (400, 422), (value, response.status_code)
        assert f'data-testid="error-{field}"' in response.text
        pages.append((value, response.text))
    assert counts(world.url) == before
    return pages


async def test_plan_form_ids_out_of_range(world: World) -> None:
    for value, text in await ids_refused(world, "plan", "site_id"):
        assert CONTROL_JA not in text, value  # a long number is no control character


async def test_assign_form_ids_out_of_range(world: World) -> None:
    await ids_refused(world, "assign", "staff_id")


async def test_count_without_htmx_shows_the_refusal(world: World) -> None:
    """A refused tap posted as a plain form: the field page with the refusal, not a 303."""
    path, body, _ = forms(world)["count"]
    before = counts(world.url)
    response = await world.client.post(path, data={**body, "delta": "-1"})
    assert response.status_code == 422, response.status_code
    assert 'data-testid="count-error"' in response.text
    assert counts(world.url) == before
    ok = await world.client.post(path, data=body)
    assert ok.status_code == 303, ok.text[ok.text.find("count-error") :][:300]


async def test_category_refusal_names_label_en(world: World) -> None:
    """A My Number in ``label_en``: 422 and the message right beside that field."""
    path, body, _ = forms(world)["category"]
    before = counts(world.url)
    response = await world.client.post(path, data={**body, "label_en": MY_NUMBER})
    assert response.status_code == 422
    after_label = response.text.split('name="label_en"', 1)[1]
    error = after_label.split("</label>", 1)[0]
    assert 'data-testid="label-en-error"' in error, error
    assert "マイナンバー" in error, error
    assert MY_NUMBER not in response.text.replace(f'value="{MY_NUMBER}"', "")
    assert counts(world.url) == before


@pytest.mark.parametrize("slot", ["2026-12-03T10:00:00", "9999-12-31T23:59:59+09:00"])
async def test_count_with_an_odd_slot_is_refused(world: World, slot: str) -> None:
    """A tap whose slot has no offset, or lies in year 9999: refused on the page, no row."""
    path, body, _ = forms(world)["count"]
    before = counts(world.url)
    response = await world.client.post(path, data={**body, "slot": slot})
    assert 400 <= response.status_code < 500, response.status_code
    assert japanese(response.text)
    assert counts(world.url) == before


async def test_incident_uid_with_a_nul_is_not_found(world: World) -> None:
    """A NUL in an incident's URL: 404 on both engines (PostgreSQL refused the query)."""
    for uid in ("%00", f"{world.incident}%00", "a%01b"):
        shown = await world.client.get(f"/incidents/{uid}")
        edited = await world.client.post(f"/incidents/{uid}", data={"base_version": "1"})
        assert (shown.status_code, edited.status_code) == (404, 404), uid
