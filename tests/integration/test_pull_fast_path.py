"""The pull fast path: answers a plain pull itself, hands everything else to Litestar."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from server.settings import Settings
from server.sync.pull_asgi import PATH, pull_fast_path
from tests.integration.test_push_fast_path import NEXT_STATUS, Next, with_and_without_fast_paths
from tests.integration.test_sync_api import headcount, push
from tests.support.field import open_session
from tests.support.identities import make_staff, sign_in


@pytest.fixture
async def fast(client: httpx.AsyncClient, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The fast path alone in front of an app that answers 418, with a signed-in
    operator's cookies (the app's engine is already started)."""
    ids = await open_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    transport = httpx.ASGITransport(
        app=pull_fast_path(Next(), settings), client=("127.0.0.1", 50000)
    )
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", cookies=client.cookies
    ) as http:
        yield http


async def test_the_fast_path_answers_a_plain_pull_itself(fast: httpx.AsyncClient) -> None:
    """A signed-in pull with a cursor, a limit and a device id is answered here."""
    for params in ({}, {"cursor": "0", "limit": "5"}, {"cursor": "3", "device_id": "t-1"}):
        response = await fast.get(PATH, params=params)
        assert response.status_code == 200, (params, response.text)
        page = response.json()
        assert {"changes", "next_cursor", "has_more", "high_water", "read_at"} <= set(page)
    limited = (await fast.get(PATH, params={"limit": "2"})).json()
    assert len(limited["changes"]) <= 2 and limited["has_more"]


ODD = {
    "a negative cursor": "cursor=-1",
    "a cursor that is not a number": "cursor=abc",
    "a cursor past a bigint": f"cursor={2**63}",
    "a limit of zero": "limit=0",
    "a limit past the route's": "limit=1001",
    "a device id too long": "device_id=" + "x" * 37,
    "an empty device id": "device_id=",
    "a parameter twice": "cursor=1&cursor=2",
    "an unknown parameter": "cursor=1&since=2",
    "a query that does not parse": "cursor",
    "a digit outside ASCII": "cursor=%EF%BC%95",
}


@pytest.mark.parametrize("case", list(ODD))
async def test_an_odd_query_goes_to_litestar(fast: httpx.AsyncClient, case: str) -> None:
    """A query the route might read otherwise, or refuse, is left to Litestar."""
    response = await fast.get(f"{PATH}?{ODD[case]}")
    assert response.status_code == NEXT_STATUS


@pytest.mark.parametrize("who", ["anonymous", "a cookie naming no session"])
async def test_who_is_not_signed_in_goes_to_litestar(
    fast: httpx.AsyncClient, who: str, settings: Settings
) -> None:
    """Signed out, or with a cookie that names no live session: Litestar answers (and
    sends the person to sign in)."""
    if who == "anonymous":
        fast.cookies.delete("madoguchi_session")
    else:
        fast.cookies.set("madoguchi_session", "no-such-session")
    assert (await fast.get(PATH)).status_code == NEXT_STATUS
    await sign_in(fast, await make_staff("city_staff"), settings)
    # City staff may read everything: a pull is theirs to make.
    assert (await fast.get(PATH)).status_code == 200


async def pulls(
    http: httpx.AsyncClient, tablet: str, session: int
) -> list[tuple[int, set[str], Any]]:
    """Status, header names and body (its read time left out) of a fixed series of pulls,
    after two counts pushed."""
    await push(http, tablet, [headcount(seq, session) for seq in (1, 2)])
    series = [
        "",
        "limit=3",
        f"cursor=2&device_id={tablet}",
        "cursor=999999999",
        "cursor=-1",
        "limit=abc",
    ]
    seen = []
    for query in series:
        response = await http.get(f"{PATH}?{query}", headers={"accept-encoding": "gzip"})
        body = response.json()
        if isinstance(body, dict):
            body.pop("read_at", None)
        names = {n for n in response.headers if n not in ("x-request-id", "date", "server")}
        seen.append((response.status_code, names, body))
    return seen


async def test_the_pull_fast_path_answers_as_litestar_does(
    settings: Settings, database_url: str
) -> None:
    """The same pulls through the app with and without the fast paths get the same statuses
    and headers, answers of the same fields and marks, and the same refusals."""
    found = await with_and_without_fast_paths(settings, database_url, pulls)
    assert [status for status, _, _ in found[0]] == [200, 200, 200, 200, 400, 400]
    assert [body["high_water"] for _, _, body in found[0][:4]] == [None, None, 2, None]
    assert found[0][3][2]["changes"] == found[1][3][2]["changes"] == []
    # Ids differ between the two rounds; the shape and the statuses must not.
    for (status, names, body), (status_b, names_b, body_b) in zip(*found, strict=True):
        assert (status, names) == (status_b, names_b)
        if status == 200:
            assert set(body) == set(body_b) and body["high_water"] == body_b["high_water"]
        else:
            assert body == body_b
