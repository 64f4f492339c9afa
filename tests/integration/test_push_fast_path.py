"""The push fast path: answers what passes every check, hands everything else to Litestar."""

from __future__ import annotations

import gzip
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import msgspec
import pytest
from litestar.types import Receive, Scope, Send

from server.app import create_app
from server.settings import Settings
from server.sync.push_asgi import PATH, push_fast_path
from tests.conftest import open_client
from tests.integration.test_sync_api import device, headcount
from tests.support.field import open_session
from tests.support.identities import make_staff, sign_in

NEXT_STATUS = 418


@dataclass
class Next:
    """The app behind the fast path: records what reaches it, answers 418."""

    bodies: list[bytes] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        self.bodies.append(b"".join(chunks))
        await send({"type": "http.response.start", "status": NEXT_STATUS, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@dataclass
class Rig:
    """A signed-in client of the real app, and the fast path alone in front of ``next``."""

    client: httpx.AsyncClient
    fast: httpx.AsyncClient
    next: Next
    session: int
    device_id: str


@pytest.fixture
async def rig(client: httpx.AsyncClient, settings: Settings) -> AsyncIterator[Rig]:
    """An open session, its operator signed in with a registered device; the fast path's
    client carries the same cookies and CSRF header (the app's engine is already started)."""
    ids = await open_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    tablet = await device(client)
    following = Next()
    transport = httpx.ASGITransport(
        app=push_fast_path(following, settings), client=("127.0.0.1", 50000)
    )
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://127.0.0.1",
        cookies=client.cookies,
        headers=dict(client.headers),
    ) as fast:
        yield Rig(client, fast, following, ids["session"], tablet)


def batch(rig: Rig, seqs: range, **extra: Any) -> bytes:
    """A push body of headcounts with these ``seq`` numbers."""
    body = {
        "device_id": rig.device_id,
        "schema_version": 1,
        "ops": [headcount(seq, rig.session) for seq in seqs],
        **extra,
    }
    return msgspec.json.encode(body)


JSON = {"content-type": "application/json"}


async def test_the_fast_path_answers_a_good_push_itself(rig: Rig) -> None:
    """A signed-in operator's good batch is applied and answered without reaching Litestar."""
    response = await rig.fast.post(PATH, content=batch(rig, range(1, 4)), headers=JSON)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["high_water"] == 3
    assert [r["status"] for r in answer["results"]] == ["applied"] * 3
    assert rig.next.bodies == []
    gzipped = await rig.fast.post(
        PATH,
        content=gzip.compress(batch(rig, range(4, 6))),
        headers={**JSON, "content-encoding": "gzip"},
    )
    assert gzipped.status_code == 200 and gzipped.json()["high_water"] == 5
    assert rig.next.bodies == []


REFUSALS: dict[str, tuple[dict[str, str], str]] = {
    "no CSRF token": ({"x-csrf-token": ""}, "good"),
    "a stale CSRF token": ({"x-csrf-token": "x" * 43}, "good"),
    "another site": ({"origin": "https://elsewhere.example"}, "good"),
    "not JSON": ({"content-type": "text/plain"}, "good"),
    "a body that is not JSON": ({}, "garbage"),
    "an unknown field": ({}, "unknown field"),
    "gzip that is not gzip": ({"content-encoding": "gzip"}, "good"),
    "an unknown encoding": ({"content-encoding": "br"}, "good"),
    "an unknown device": ({}, "unknown device"),
    "an old app": ({}, "old schema"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_anything_else_goes_to_litestar_with_its_body(rig: Rig, case: str) -> None:
    """A request the fast path would not answer reaches Litestar with its body intact, and
    nothing was applied."""
    changed, kind = REFUSALS[case]
    bodies = {
        "good": batch(rig, range(1, 3)),
        "garbage": b'{"device_id": ',
        "unknown field": batch(rig, range(1, 3), extra=1),
        "unknown device": msgspec.json.encode(
            {"device_id": str(uuid.uuid4()), "schema_version": 1, "ops": []}
        ),
        "old schema": batch(rig, range(1, 3)).replace(
            b'"schema_version":1', b'"schema_version":99'
        ),
    }
    body = bodies[kind]
    response = await rig.fast.post(PATH, content=body, headers={**JSON, **changed})
    assert response.status_code == NEXT_STATUS
    assert rig.next.bodies == [body]
    assert (await rig.client.get("/api/sync/pull", params={"device_id": rig.device_id})).json()[
        "high_water"
    ] == 0


@pytest.mark.parametrize("who", ["anonymous", "city_staff"])
async def test_who_may_not_push_goes_to_litestar(rig: Rig, who: str, settings: Settings) -> None:
    """Signed out, or signed in with a role that may not write in the field: Litestar
    answers (and refuses)."""
    if who == "anonymous":
        rig.fast.cookies.delete("madoguchi_session")
    else:
        await sign_in(rig.fast, await make_staff(who), settings)
    body = batch(rig, range(1, 3))
    assert (await rig.fast.post(PATH, content=body, headers=JSON)).status_code == NEXT_STATUS
    assert rig.next.bodies == [body]


async def answers(
    http: httpx.AsyncClient, tablet: str, session: int
) -> list[tuple[int, set[str], Any]]:
    """Status, header names and body (op ids left out) of a fixed series of pushes."""
    series = [
        [headcount(seq, session) for seq in (1, 2, 3)],
        [headcount(seq, session) for seq in (3, 4)],  # 3 again: a duplicate
        [headcount(seq, session, category="no-such-thing") for seq in (5,)],
        [headcount(seq, session) for seq in (7,)],  # a gap
    ]
    seen = []
    for ops in series:
        response = await http.post(
            PATH, json={"device_id": tablet, "schema_version": 1, "ops": ops}
        )
        body = response.json()
        for result in body.get("results", []):
            result.pop("op_id")
        names = {n for n in response.headers if n not in ("x-request-id", "date", "server")}
        seen.append((response.status_code, names, body))
    return seen


T = TypeVar("T")


async def with_and_without_fast_paths(
    settings: Settings,
    database_url: str,
    run: Callable[[httpx.AsyncClient, str, int], Awaitable[T]],
) -> list[T]:
    """What ``run(http, device id, session)`` finds through the app with its fast paths,
    then without: each time in a fresh app, with an open session and its operator signed
    in on a registered device."""
    from tests.conftest import remove_test_rows

    found = []
    try:
        for fast in (True, False):
            remove_test_rows(database_url)
            async with open_client(create_app(settings, fast_paths=fast)) as http:
                ids = await open_session(settings, site_id=1)
                await sign_in(http, ids["operator"], settings)
                found.append(await run(http, await device(http), ids["session"]))
    finally:
        remove_test_rows(database_url)
    return found


async def test_the_fast_path_answers_as_litestar_does(
    settings: Settings, database_url: str
) -> None:
    """The same pushes through the app with and without the fast path get the same status,
    headers and body."""
    found = await with_and_without_fast_paths(settings, database_url, answers)
    assert found[0] == found[1]
    statuses = [[r["status"] for r in body["results"]] for _, _, body in found[0]]
    assert statuses == [["applied"] * 3, ["duplicate", "applied"], ["rejected"], []]


async def test_a_body_past_the_limit_goes_to_litestar_whole(rig: Rig) -> None:
    """Reading stops past the route's limit; Litestar gets what was read and then the rest."""
    from server.sync.routes import PUSH_LIMIT

    chunk = b" " * (1024 * 1024)
    count = PUSH_LIMIT // len(chunk) + 2

    async def stream() -> AsyncIterator[bytes]:
        for _ in range(count):
            yield chunk

    response = await rig.fast.post(PATH, content=stream(), headers=JSON)
    assert response.status_code == NEXT_STATUS
    assert rig.next.bodies == [chunk * count]
