"""``POST /api/sync/push``: what it answers, what it refuses, and that it refuses it once."""

from __future__ import annotations

import gzip
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import pytest

from server.ops.context import Actor
from server.settings import Settings
from server.sync import devices
from server.sync import push as push_service
from server.sync.routes import PUSH_LIMIT
from tests.support.field import open_session
from tests.support.identities import make_staff, sign_in
from tests.support.sync_api import device, headcount

PATH = "/api/sync/push"
JSON = {"content-type": "application/json"}


@dataclass
class Rig:
    """A signed-in operator's client with a registered device and an open session."""

    client: httpx.AsyncClient
    session: int
    device_id: str

    def batch(self, seqs: range, **extra: Any) -> bytes:
        """A push body of headcounts with these ``seq`` numbers."""
        ops = [headcount(seq, self.session) for seq in seqs]
        body = {"device_id": self.device_id, "schema_version": 1, "ops": ops, **extra}
        return msgspec.json.encode(body)

    async def high_water(self) -> int:
        """The device's mark: how many of its ops were applied."""
        answer = await self.client.get("/api/sync/pull", params={"device_id": self.device_id})
        return int(answer.json()["high_water"])


@pytest.fixture
async def rig(client: httpx.AsyncClient, settings: Settings) -> AsyncIterator[Rig]:
    """An open session, its operator signed in with a registered device."""
    ids = await open_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    yield Rig(client, ids["session"], await device(client))


async def test_a_good_push_is_applied_and_answered(rig: Rig) -> None:
    """A batch is applied, plain or gzipped, and a large answer comes gzipped when asked."""
    response = await rig.client.post(PATH, content=rig.batch(range(1, 4)), headers=JSON)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["vary"] == "Accept-Encoding"
    answer = response.json()
    assert answer["high_water"] == 3
    assert [r["status"] for r in answer["results"]] == ["applied"] * 3
    gzipped = await rig.client.post(
        PATH,
        content=gzip.compress(rig.batch(range(4, 64))),
        headers={**JSON, "content-encoding": "gzip", "accept-encoding": "gzip"},
    )
    assert gzipped.status_code == 200, gzipped.text
    assert gzipped.headers["content-encoding"] == "gzip"
    assert gzipped.json()["high_water"] == 63


async def test_the_body_is_read_as_json_whatever_its_declared_type(rig: Rig) -> None:
    """Tablets send JSON; a body labelled otherwise (or with an encoding that is not gzip) is
    still read as it came."""
    for seqs, headers in (
        (range(1, 2), {"content-type": "text/plain"}),
        (range(2, 3), {"content-encoding": "br"}),
    ):
        response = await rig.client.post(PATH, content=rig.batch(seqs), headers=headers)
        assert response.status_code == 200, (headers, response.text)
    assert await rig.high_water() == 2


REFUSALS: dict[str, tuple[dict[str, str], str, int]] = {
    "no CSRF token": ({"x-csrf-token": ""}, "good", 403),
    "a stale CSRF token": ({"x-csrf-token": "x" * 43}, "good", 403),
    "another site": ({"origin": "https://elsewhere.example"}, "good", 403),
    "a body that is not JSON": ({}, "garbage", 400),
    "an unknown field": ({}, "unknown field", 400),
    "gzip that is not gzip": ({"content-encoding": "gzip"}, "good", 400),
    "an unknown device": ({}, "unknown device", 403),
    "an old app": ({}, "old schema", 409),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_a_refused_push_writes_nothing(rig: Rig, case: str) -> None:
    """Each refusal has its status, and nothing of the batch is applied."""
    changed, kind, status = REFUSALS[case]
    bodies = {
        "good": rig.batch(range(1, 3)),
        "garbage": b'{"device_id": ',
        "unknown field": rig.batch(range(1, 3), extra=1),
        "unknown device": msgspec.json.encode(
            {"device_id": str(uuid.uuid4()), "schema_version": 1, "ops": []}
        ),
        "old schema": rig.batch(range(1, 3)).replace(b'"schema_version":1', b'"schema_version":99'),
    }
    response = await rig.client.post(PATH, content=bodies[kind], headers={**JSON, **changed})
    assert response.status_code == status, response.text
    if kind == "old schema":
        assert response.json()["error"] == "schema_version"
        assert response.json()["accepted"] == [1]
    assert await rig.high_water() == 0


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("city_staff", 403)])
async def test_who_may_not_push_is_refused(
    rig: Rig, settings: Settings, who: str, status: int
) -> None:
    """Signed out, or signed in with a role that may not write in the field."""
    body = rig.batch(range(1, 3))
    if who == "anonymous":
        rig.client.cookies.delete("madoguchi_session")
    else:
        await sign_in(rig.client, await make_staff(who), settings)
    assert (await rig.client.post(PATH, content=body, headers=JSON)).status_code == status


async def test_only_post_is_answered(rig: Rig) -> None:
    """Another method on the path is refused (405 naming POST) for whoever may push."""
    for method in ("GET", "PUT", "DELETE"):
        response = await rig.client.request(method, PATH)
        assert response.status_code == 405, method
        assert response.headers["allow"] == "POST"


async def test_a_body_past_the_limit_is_refused(rig: Rig) -> None:
    """Too large as announced, as streamed without a length, or once inflated: a 413."""
    chunk = b" " * (1024 * 1024)
    count = PUSH_LIMIT // len(chunk) + 2

    async def stream() -> AsyncIterator[bytes]:
        for _ in range(count):
            yield chunk

    announced = await rig.client.post(PATH, content=chunk * count, headers=JSON)
    streamed = await rig.client.post(PATH, content=stream(), headers=JSON)
    bomb = await rig.client.post(
        PATH,
        content=gzip.compress(chunk * count),
        headers={**JSON, "content-encoding": "gzip"},
    )
    assert [announced.status_code, streamed.status_code, bomb.status_code] == [413] * 3


async def test_a_failure_is_met_once_logged_once_and_answered_once(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected error is not retried another way: the push service is called once,
    one error line is logged and one 500 goes back."""
    calls: list[int] = []

    async def broken(*args: object, **kwargs: object) -> None:
        calls.append(1)
        raise RuntimeError("broken")

    monkeypatch.setattr(push_service, "push", broken)
    with caplog.at_level(logging.INFO, logger="madoguchi"):
        response = await rig.client.post(PATH, content=rig.batch(range(1, 2)), headers=JSON)
    assert response.status_code == 500
    assert calls == [1]
    assert len([r for r in caplog.records if r.name == "madoguchi.error"]) == 1
    assert len([r for r in caplog.records if r.name == "madoguchi.request"]) == 1


def _statuses(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [result["status"] for result in answer.json()["results"]]


async def test_a_batch_sent_again_is_answered_from_the_mark(rig: Rig) -> None:
    """A batch whose answer was lost, sent again, is answered op by op as before: each op a
    duplicate with its id, and an op refused then refused again with its reason."""
    ops = [headcount(seq, rig.session) for seq in range(1, 6)]
    ops[2] = headcount(3, rig.session, category="no_such_category")
    body = msgspec.json.encode({"device_id": rig.device_id, "schema_version": 1, "ops": ops})
    first = await rig.client.post(PATH, content=body, headers=JSON)
    assert _statuses(first) == ["applied", "applied", "rejected", "applied", "applied"]
    for _ in range(2):
        again = await rig.client.post(PATH, content=body, headers=JSON)
        assert _statuses(again) == ["duplicate", "duplicate", "rejected", "duplicate", "duplicate"]
        answered = again.json()
        assert answered["high_water"] == 5
        assert [r["op_id"] for r in answered["results"]] == [op["op_id"] for op in ops]
        assert answered["results"][2]["code"] == first.json()["results"][2]["code"]
    assert await rig.high_water() == 5


async def test_a_batch_sent_again_after_its_device_was_revoked_is_refused(
    rig: Rig, settings: Settings
) -> None:
    """Sending a batch again is no way around a revocation made since."""
    body = rig.batch(range(1, 4))
    assert _statuses(await rig.client.post(PATH, content=body, headers=JSON)) == ["applied"] * 3
    manager = Actor(staff_id=await make_staff("overall_manager"), role="overall_manager")
    assert await devices.revoke_device(rig.device_id, actor=manager, field=settings.field)
    again = await rig.client.post(PATH, content=body, headers=JSON)
    assert again.status_code == 403, again.text
    assert again.json()["error"] == "device_unknown"


async def test_a_batch_sent_again_with_more_ops_applies_the_new_ones(rig: Rig) -> None:
    """Ops sent before are duplicates and the ones after the mark are applied; a batch sent
    again out of order is refused as it would be the first time."""
    sent = await rig.client.post(PATH, content=rig.batch(range(1, 4)), headers=JSON)
    assert _statuses(sent) == ["applied"] * 3
    longer = await rig.client.post(PATH, content=rig.batch(range(1, 7)), headers=JSON)
    assert _statuses(longer) == ["duplicate"] * 3 + ["applied"] * 3
    assert longer.json()["high_water"] == 6
    ops = [headcount(seq, rig.session) for seq in (1, 3, 2)]
    body = msgspec.json.encode({"device_id": rig.device_id, "schema_version": 1, "ops": ops})
    shuffled = await rig.client.post(PATH, content=body, headers=JSON)
    assert shuffled.status_code == 400, shuffled.text
    assert shuffled.json()["error"] == "op_order"
    assert await rig.high_water() == 6
