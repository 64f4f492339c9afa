"""Errors through real HTTP: browsers get a page in their language with a way back, scripts
keep JSON (403, 404, 405 from the guard, the router and the routes; 500 from a failure)."""

from __future__ import annotations

import re

import httpx
import pytest
from litestar import get

from server.app import create_app
from server.auth.policy import Permission
from server.auth.web import CSRF_HEADER
from server.settings import Settings
from tests.support.cleanup import remove_test_rows_async
from tests.support.harness import open_client
from tests.support.identities import make_staff, sign_in

PAGE = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
JSON = {"accept": "application/json"}
NOT_FOUND_JA = "このアドレスのページはありません。"
ROLE_JA = "この操作を行う権限がありません。"


def error_page(response: httpx.Response, status: int, lang: str = "ja") -> str:
    """The error page's panel, after checking the answer is that page, whole, in ``lang``."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert f'<html lang="{lang}">' in response.text
    assert '"status_code"' not in response.text  # not Litestar's JSON
    panel = re.search(r'<section class="panel error-page".*?</section>', response.text, re.S)
    assert panel is not None, response.text[:500]
    return panel.group(0)


def ways_back(panel: str) -> dict[str, str]:
    """The panel's links: test id -> address."""
    return dict(
        (testid, href)
        for href, testid in re.findall(r'<a href="([^"]*)" data-testid="(error-[a-z]+)"', panel)
    )


def json_error(response: httpx.Response, status: int) -> str:
    """The detail of Litestar's JSON error, after checking the answer is that."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status_code"] == status
    return str(body["detail"])


async def test_an_unknown_path_is_a_japanese_page_with_a_way_back(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A browser's 404 from the router: the page in Japanese, home (and back) links."""
    panel = error_page(await client.get("/no-such-page", headers=PAGE), 404)
    assert "ページが見つかりません" in panel and NOT_FOUND_JA in panel
    assert "Not Found" not in panel
    assert ways_back(panel) == {"error-home": "/"}
    came_from = {**PAGE, "referer": "http://127.0.0.1/sites?x=1"}
    await sign_in(client, await make_staff("operator"), settings)
    panel = error_page(await client.get("/no-such-page", headers=came_from), 404)
    links = ways_back(panel)
    assert links == {"error-back": "/sites?x=1", "error-today": "/field", "error-home": "/"}
    assert "本日の業務" in panel and "前のページに戻る" in panel


async def test_an_operator_on_a_manager_page_reads_why_in_their_language(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """The guard's 403 on 従事者 opening a manager's page: Japanese, then English by choice."""
    await sign_in(client, await make_staff("operator"), settings)
    panel = error_page(await client.get("/staff", headers=PAGE), 403)
    assert "アクセスできません" in panel and ROLE_JA in panel
    assert ways_back(panel)["error-today"] == "/field"
    client.cookies.set("lang", "en")
    panel = error_page(await client.get("/staff", headers=PAGE), 403, lang="en")
    assert "Not allowed" in panel and "Your role does not allow this." in panel
    assert ">Today<" in panel


async def test_scripts_keep_json(client: httpx.AsyncClient, settings: Settings) -> None:
    """Asking for JSON, or calling /api/, still gets Litestar's JSON errors."""
    await sign_in(client, await make_staff("operator"), settings)
    assert json_error(await client.get("/staff", headers=JSON), 403) == ROLE_JA
    assert json_error(await client.get("/no-such-page", headers=JSON), 404) == "Not Found"
    assert json_error(await client.get("/api/no-such-thing", headers=PAGE), 404) == "Not Found"
    wrong_method = await client.get("/api/sync/push", headers=PAGE)
    assert json_error(wrong_method, 405) == "Method Not Allowed"
    assert wrong_method.headers["allow"] == "POST"


async def test_a_method_a_path_does_not_take_is_a_page_for_browsers(
    client: httpx.AsyncClient,
) -> None:
    """405 from the router: a Japanese page for a browser, JSON for a script, Allow kept."""
    answer = await client.get("/lang", headers=PAGE)
    panel = error_page(answer, 405)
    assert "この方法では利用できません" in panel and "Method Not Allowed" not in panel
    assert "POST" in answer.headers["allow"]
    scripted = await client.get("/lang", headers=JSON)
    assert json_error(scripted, 405) == "Method Not Allowed"
    assert "POST" in scripted.headers["allow"]


async def test_a_stale_form_is_told_to_reload_in_japanese(client: httpx.AsyncClient) -> None:
    """The CSRF refusal of a plain form: its own message translated, a way back."""
    del client.headers[CSRF_HEADER]
    came_from = {**PAGE, "referer": "http://127.0.0.1/sites"}
    answer = await client.post("/lang", data={"lang": "en", "next": "/"}, headers=came_from)
    panel = error_page(answer, 403)
    assert "ページを再読み込みしてください。" in panel and "Security token" not in panel
    assert ways_back(panel)["error-back"] == "/sites"


async def test_a_missing_record_is_named_in_the_visitors_language(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A route's own 404 keeps its message: on the page in Japanese or English, and in JSON."""
    await sign_in(client, await make_staff("city_staff"), settings)
    panel = error_page(await client.get("/work-sessions/999999", headers=PAGE), 404)
    assert "該当する業務がありません。" in panel
    scripted = await client.get("/work-sessions/999999", headers=JSON)
    assert json_error(scripted, 404) == "該当する業務がありません。"
    client.cookies.set("lang", "en")
    panel = error_page(await client.get("/work-sessions/999999", headers=PAGE), 404, "en")
    assert "No such work session." in panel


async def test_htmx_gets_the_panel_alone(client: httpx.AsyncClient, settings: Settings) -> None:
    """An htmx request that fails gets the error panel as a fragment, not a whole page."""
    await sign_in(client, await make_staff("operator"), settings)
    answer = await client.get("/staff", headers={**PAGE, "HX-Request": "true"})
    assert answer.status_code == 403
    assert "<html" not in answer.text
    assert answer.text.lstrip().startswith('<section class="panel error-page"')
    assert ROLE_JA in answer.text


@get("/test-failure", opt={"permission": Permission.PUBLIC}, sync_to_thread=False)
def failing() -> str:
    """A route that fails the way a bug does, its message quoting a value."""
    raise RuntimeError("secret-row-value 057830862716")


async def test_a_server_failure_is_a_page_that_names_nothing(
    settings: Settings, database_url: str
) -> None:
    """A 500: the browser's page says so in Japanese; neither it nor the JSON quotes the error."""
    app = create_app(settings)
    app.register(failing)
    try:
        async with open_client(app) as client:
            panel = error_page(await client.get("/test-failure", headers=PAGE), 500)
            assert "エラーが発生しました" in panel
            scripted = await client.get("/test-failure", headers=JSON)
            assert json_error(scripted, 500) == "Internal Server Error"
            for answer in (panel, scripted.text):
                assert "secret-row-value" not in answer and "RuntimeError" not in answer
    finally:
        await remove_test_rows_async(database_url)


@pytest.mark.parametrize(
    "came_from", ["http://127.0.0.1//evil.example/x", "http://127.0.0.1/\\evil"]
)
async def test_the_way_back_never_leaves_the_site(
    client: httpx.AsyncClient, settings: Settings, came_from: str
) -> None:
    """A Referer path that a browser reads as another host (``//host``) is no way back."""
    await sign_in(client, await make_staff("operator"), settings)
    answer = await client.get("/no-such-page", headers={**PAGE, "referer": came_from})
    panel = error_page(answer, 404)
    assert "error-back" not in ways_back(panel)
