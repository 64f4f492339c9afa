"""Home page, language toggle and headers through real HTTP."""

import httpx

from tests import dbutil
from tests.fixed_sites import FIXED_JA


async def test_home_lists_fixed_sites_in_japanese(client: httpx.AsyncClient) -> None:
    """The home page is Japanese by default and lists the five fixed sites in contract order."""
    response = await client.get("/")
    assert response.status_code == 200
    assert '<html lang="ja">' in response.text
    positions = [response.text.index(name) for name in FIXED_JA]
    assert positions == sorted(positions)


async def test_fixed_sites_are_seeded_by_the_first_migration(database_url: str) -> None:
    """The migrated database holds the five fixed sites with their addresses."""
    rows = dbutil.fetch(database_url, "SELECT name_ja, address FROM site WHERE fixed ORDER BY id")
    assert [r[0] for r in rows] == FIXED_JA
    assert all(str(r[1]).startswith("西宮市") for r in rows)


async def test_accept_language_english(client: httpx.AsyncClient) -> None:
    """A browser asking for English gets English names."""
    response = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in response.text
    assert "City Hall, Citizens Division" in response.text
    assert "Accept-Language" in response.headers["vary"]


async def test_toggle_sets_cookie_and_returns(client: httpx.AsyncClient) -> None:
    """The toggle stores the choice in a cookie and redirects back to the page."""
    response = await client.post("/lang", data={"lang": "en", "next": "/"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "lang=en" in response.headers["set-cookie"]
    assert "HttpOnly" in response.headers["set-cookie"]
    client.cookies.set("lang", "en")
    page = await client.get("/", headers={"Accept-Language": "ja"})
    assert '<html lang="en">' in page.text


async def test_toggle_refuses_offsite_redirects(client: httpx.AsyncClient) -> None:
    """The toggle's next parameter cannot send the visitor to another site."""
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = await client.post(
            "/lang", data={"lang": "ja", "next": target}, follow_redirects=False
        )
        assert response.headers["location"] == "/"


async def test_unknown_language_is_ignored(client: httpx.AsyncClient) -> None:
    """An unknown language sets no cookie."""
    response = await client.post("/lang", data={"lang": "xx", "next": "/"}, follow_redirects=False)
    assert response.status_code == 303
    assert "set-cookie" not in response.headers


async def test_security_headers_on_errors_and_static(client: httpx.AsyncClient) -> None:
    """404s and static files carry the CSP too."""
    for path in ("/no-such-page", "/static/vendor/htmx-2.0.11.min.js"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "object-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_htmx_is_configured_for_strict_csp(client: httpx.AsyncClient) -> None:
    """The page loads vendored htmx with eval, script tags and indicator styles off."""
    text = (await client.get("/")).text
    assert "/static/vendor/htmx-2.0.11.min.js" in text
    for setting in (
        '"allowEval":false',
        '"includeIndicatorStyles":false',
        '"selfRequestsOnly":true',
    ):
        assert setting in text
    assert "<script>" not in text
    assert " style=" not in text


async def test_every_page_varies_on_language_and_htmx(client: httpx.AsyncClient) -> None:
    """One rule for every page, full or fragment: it varies on what chose its language and
    on the htmx headers that choose a fragment (server.web.pages.VARY)."""
    for headers in ({}, {"HX-Request": "true"}, {"HX-Request": "true", "HX-Boosted": "true"}):
        response = await client.get("/", headers=headers)
        assert response.status_code == 200
        vary = {part.strip() for part in response.headers["vary"].split(",")}
        assert {"Accept-Language", "Cookie", "HX-Request", "HX-History-Restore-Request"} <= vary
