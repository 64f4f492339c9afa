"""``GET /api/sync/pull``: its query as a typed route reads one, and who may pull."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from server.settings import Settings
from tests.support.field import open_session
from tests.support.identities import make_staff, sign_in
from tests.support.sync_api import device, headcount, push

PATH = "/api/sync/pull"


@pytest.fixture
async def tablet(client: httpx.AsyncClient, settings: Settings) -> AsyncIterator[str]:
    """A signed-in operator's registered device, which pushed two counts."""
    ids = await open_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    tablet = await device(client)
    await push(client, tablet, [headcount(seq, ids["session"]) for seq in (1, 2)])
    yield tablet


async def recent(client: httpx.AsyncClient) -> int:
    """A cursor shortly before this test's own entries: earlier tests' entries stay in the
    log, and a page from its start would be theirs."""
    page = (await client.get(PATH, params={"limit": "1000"})).json()
    while page["has_more"]:
        cursor = str(page["next_cursor"])
        page = (await client.get(PATH, params={"limit": "1000", "cursor": cursor})).json()
    return max(0, int(page["next_cursor"]) - 40)


async def test_a_plain_pull_is_answered(client: httpx.AsyncClient, tablet: str) -> None:
    """A cursor, a limit and a device id are each honoured; a large page comes gzipped."""
    start = await recent(client)
    first = await client.get(PATH, params={"cursor": start}, headers={"accept-encoding": "gzip"})
    assert first.status_code == 200, first.text
    assert first.headers["vary"] == "Accept-Encoding"
    page = first.json()
    assert {"changes", "next_cursor", "has_more", "high_water", "read_at"} <= set(page)
    assert page["high_water"] is None and not page["has_more"]
    if len(first.content) >= 1024:
        assert first.headers["content-encoding"] == "gzip"
    # Entries out of this operator's scope stay in the log: a page of one entry may hold no
    # change, so read pages of one until this test's first change.
    pages = [(await client.get(PATH, params={"limit": "1", "cursor": start})).json()]
    while not pages[-1]["changes"] and pages[-1]["has_more"]:
        cursor = str(pages[-1]["next_cursor"])
        pages.append((await client.get(PATH, params={"limit": "1", "cursor": cursor})).json())
    assert all(len(p["changes"]) <= 1 for p in pages)
    assert len(pages[-1]["changes"]) == 1 and pages[-1]["has_more"]
    mark = (await client.get(PATH, params={"device_id": tablet})).json()
    assert mark["high_water"] == 2
    end = page["next_cursor"]
    assert (await client.get(PATH, params={"cursor": str(end)})).json()["changes"] == []


REFUSED = {
    "a negative cursor": ("cursor=-1", "cursor"),
    "a cursor that is not a number": ("cursor=abc", "cursor"),
    "an empty cursor": ("cursor=", "cursor"),
    "a cursor without a value": ("cursor", "cursor"),
    "a cursor past a bigint": (f"cursor={2**63}", "cursor"),
    "a digit outside ASCII": ("cursor=%EF%BC%95", "cursor"),
    "a leading zero": ("cursor=05", "cursor"),
    "a limit of zero": ("limit=0", "limit"),
    "a limit past the most": ("limit=1001", "limit"),
    "a device id too long": ("device_id=" + "x" * 37, "device_id"),
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_an_odd_query_is_refused_naming_its_field(
    client: httpx.AsyncClient, tablet: str, case: str
) -> None:
    """A value of the wrong shape or out of range: a 400 naming the field, as for any
    route's typed parameter."""
    query, field = REFUSED[case]
    response = await client.get(f"{PATH}?{query}")
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "bad_request" and set(body["fields"]) == {field}


SAME = {
    "a parameter twice (the last counts)": ("limit=5&limit=1", "limit=1"),
    "an unknown parameter (ignored)": ("limit=1&since=2", "limit=1"),
    "an exponent": ("limit=1e0", "limit=1"),
    "a fraction of zero": ("limit=1.0", "limit=1"),
    "the most": ("limit=1000", ""),
}


@pytest.mark.parametrize("case", list(SAME))
async def test_what_a_typed_parameter_took_is_taken(
    client: httpx.AsyncClient, tablet: str, case: str
) -> None:
    """What Litestar's typed query parameters accepted is still accepted, read the same."""
    query, plain = SAME[case]
    start = await recent(client)
    answers = [(await client.get(f"{PATH}?cursor={start}&{q}")) for q in (query, plain)]
    assert [a.status_code for a in answers] == [200, 200], answers[0].text
    pages = [a.json() for a in answers]
    for page in pages:
        page.pop("read_at")
    assert pages[0] == pages[1]


async def test_who_is_not_signed_in_is_sent_to_sign_in(
    client: httpx.AsyncClient, tablet: str, settings: Settings
) -> None:
    """Signed out, or with a cookie naming no live session: a 401; city staff may read."""
    client.cookies.delete("madoguchi_session")
    assert (await client.get(PATH)).status_code == 401
    client.cookies.set("madoguchi_session", "no-such-session")
    assert (await client.get(PATH)).status_code == 401
    await sign_in(client, await make_staff("city_staff"), settings)
    assert (await client.get(PATH)).status_code == 200


async def test_only_get_is_answered(client: httpx.AsyncClient, tablet: str) -> None:
    """Another method on the path is refused (405 naming GET)."""
    for method in ("POST", "PUT", "HEAD"):
        response = await client.request(method, PATH)
        assert response.status_code == 405, method
        assert response.headers["allow"] == "GET"
