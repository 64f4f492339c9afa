"""Poison ops: a well-formed batch holding an op the server cannot take never blocks the
device. The bad op is refused with its reason and kept for review (any My Number masked),
the mark moves on, and the good ops around it land, on both engines."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import httpx
import pytest

from server.settings import Settings
from tests import dbutil
from tests.support.identities import make_staff, sign_in
from tests.support.leaks import leaks
from tests.support.sync_api import device, headcount, incident_create, op, outcomes, total

V = "057830862716"  # a valid My Number
BIG = 2**63


def plan(seq: int, site_id: Any = 1, start: str = "2026-12-03T10:00:00+09:00") -> dict[str, Any]:
    """A work_session.plan op (refused or not, it must never fail the batch)."""
    payload = {
        "site_id": site_id,
        "work_date": "2026-12-03",
        "planned_start": start,
        "planned_end": "2026-12-03T11:00:00+09:00",
    }
    return op(seq, "work_session.plan", payload)


def incident(seq: int, description: str, **payload: Any) -> dict[str, Any]:
    """An incident.create op at 本庁舎, no session, happening now."""
    now = dt.datetime.now(dt.UTC).isoformat()
    fields = {"category": "other", "occurred_at": now, **payload}
    return incident_create(seq, fields.pop("uid", str(uuid.uuid4())), description, **fields)


async def push(client: httpx.AsyncClient, device_id: str, ops: list[dict[str, Any]]) -> Any:
    """Push a batch as ASCII JSON (a lone surrogate travels as its escape, as in JSON)."""
    body = json.dumps({"device_id": device_id, "schema_version": 1, "ops": ops})
    response = await client.post(
        "/api/sync/push", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def with_payload(op: dict[str, Any], **values: Any) -> dict[str, Any]:
    return op | {"payload": op["payload"] | values}


POISONS: dict[str, Any] = {
    "naive and offset times mixed": lambda s, session: plan(s, start="2026-12-03T10:00:00"),
    "a session id beyond int64": lambda s, session: with_payload(
        headcount(s, session), work_session_id=BIG * 4
    ),
    "a session id beyond int32": lambda s, session: with_payload(
        headcount(s, session), work_session_id=2**31
    ),
    "a site id beyond int64": lambda s, session: plan(s, site_id=BIG + 1),
    "an actor id beyond int64": lambda s, session: headcount(s, session) | {"actor_id": BIG},
    "a base version beyond int64": lambda s, session: incident(s, "x") | {"base_version": BIG},
    "a NUL in text": lambda s, session: incident(s, "before\u0000after"),
    "a control character in a category": lambda s, session: with_payload(
        headcount(s, session), category="issu\u0000ance"
    ),
    "a lone surrogate in text": lambda s, session: incident(s, "broken \ud800 text"),
    "a device clock in the year 9999": lambda s, session: (
        headcount(s, session) | {"client_time": "9999-12-31T23:59:59+00:00"}
    ),
    "an occurrence in the year 9999": lambda s, session: incident(
        s, "x", occurred_at="9999-12-31T23:59:59+09:00"
    ),
    "a My Number as the incident uid": lambda s, session: incident(s, "x", uid=V),
    "a My Number as the op id": lambda s, session: headcount(s, session) | {"op_id": V},
    "an unknown payload field": lambda s, session: with_payload(headcount(s, session), extra=1),
    "a payload of the wrong type": lambda s, session: headcount(s, session) | {"payload": [1]},
    "an unknown kind of op": lambda s, session: headcount(s, session) | {"type": "nope.nope"},
    "a My Number as the kind of op": lambda s, session: headcount(s, session) | {"type": V},
    "a NUL in the kind of op": lambda s, session: (
        headcount(s, session) | {"type": "headcount.add\u0000"}
    ),
}


@pytest.mark.parametrize("name", list(POISONS))
async def test_good_ops_around_a_poison_op_land(
    name: str, client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """The poison op is refused with a reason and kept; the good ones land, once."""
    tablet = await device(client)
    session = field["session"]
    batch = [headcount(1, session), POISONS[name](2, session), headcount(3, session)]
    answer = await push(client, tablet, batch)
    assert [r["status"] for r in answer["results"]] == ["applied", "rejected", "applied"]
    refused = answer["results"][1]
    assert refused["code"] and refused["message"], refused
    assert answer["high_water"] == 3
    assert total(database_url, session) == 2
    kept = dbutil.fetch(database_url, "SELECT seq, status, code, message, op FROM sync_issue")
    assert [row[:3] for row in kept] == [(2, "rejected", refused["code"])]
    assert kept[0][3], "the reason is kept for the review screen"
    assert not leaks(str(kept[0][4]))
    assert not any(leaks(str(c)) for c in dbutil.fetch(database_url, "SELECT * FROM sync_issue")[0])
    # Sent again (its answer lost): the refusal is answered again, never "received".
    again = await push(client, tablet, batch)
    assert [r["status"] for r in again["results"]] == ["duplicate", "rejected", "duplicate"]
    assert (again["results"][1]["code"], again["results"][1]["message"]) == (
        refused["code"],
        refused["message"],
    )
    assert total(database_url, session) == 2
    assert len(dbutil.fetch(database_url, "SELECT seq FROM sync_issue")) == 1


async def test_a_sequence_number_beyond_what_a_device_counts_ends_the_batch_there(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """seq = 2^63 cannot follow the mark: the ops before it land, the answer names the gap."""
    tablet = await device(client)
    session = field["session"]
    answer = await push(client, tablet, [headcount(1, session), headcount(BIG, session)])
    assert outcomes(answer) == [("applied", None)]
    assert answer["gap"] == {"expected": 2, "got": BIG}
    assert total(database_url, session) == 1


async def test_a_first_sequence_number_beyond_what_a_device_counts_is_a_gap(
    client: httpx.AsyncClient, field: dict[str, int]
) -> None:
    """A batch that starts at seq 2^63 moves no mark (PostgreSQL guessed the mark from it)."""
    tablet = await device(client)
    answer = await push(client, tablet, [headcount(BIG, field["session"])])
    assert answer["results"] == [] and answer["gap"] == {"expected": 1, "got": BIG}
    assert answer["high_water"] == 0


async def test_answers_are_in_the_senders_language(
    client: httpx.AsyncClient, field: dict[str, int]
) -> None:
    """A refusal's message comes in Japanese to a Japanese tablet, in English otherwise."""
    tablet = await device(client)
    answer = await push(client, tablet, [incident(1, f"番号 {V}")])
    assert answer["results"][0]["message"].startswith("個人番号")
    client.cookies.set("lang", "en")
    answer = await push(client, tablet, [incident(2, f"number {V}")])
    assert answer["results"][0]["message"].startswith("This looks like a My Number")


async def test_a_refused_my_number_is_masked_where_it_is_kept(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """sync_issue keeps the refused op reviewable, with the number's digits masked."""
    tablet = await device(client)
    venue = {
        "op_id": str(uuid.uuid4()),
        "seq": 1,
        "type": "site.add_venue",
        "payload": {"name_ja": f"番号は{V}です", "venue_kind": "other"},
    }
    spaced = incident(2, "番号は ０５７８ ３０８６ ２７１６ です")
    answer = await push(client, tablet, [venue, spaced])
    assert [r["code"] for r in answer["results"]] == ["forbidden", "my_number"]
    kept = dbutil.fetch(database_url, "SELECT op FROM sync_issue ORDER BY seq")
    assert "番号は************です" in str(kept[0][0])
    assert "番号は **** **** **** です" in str(kept[1][0])
    assert not any(leaks(str(row[0])) for row in kept)


@pytest.fixture
def poisoned_counts(database_url: str) -> Any:
    """The database itself refuses a count of 7 (a fault no rule of ours foresees)."""
    if dbutil.is_postgres(database_url):
        dbutil.execute(
            database_url,
            "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'poisoned' USING ERRCODE = '22003'; END $$ LANGUAGE plpgsql",
        )
        dbutil.execute(
            database_url,
            "CREATE TRIGGER poison BEFORE INSERT ON headcount FOR EACH ROW "
            "WHEN (NEW.delta = 7) EXECUTE FUNCTION poison()",
        )
    else:
        dbutil.execute(
            database_url,
            "CREATE TRIGGER poison BEFORE INSERT ON headcount WHEN NEW.delta = 7 "
            "BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
        )
    yield
    dbutil.execute(
        database_url,
        "DROP TRIGGER poison" + (" ON headcount" if dbutil.is_postgres(database_url) else ""),
    )
    if dbutil.is_postgres(database_url):
        dbutil.execute(database_url, "DROP FUNCTION poison()")


async def test_a_count_the_database_refuses_is_kept_and_the_rest_land(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str, poisoned_counts: Any
) -> None:
    """A run of counts that fails as a whole is applied again op by op: only the count the
    database refuses is refused (kept for review); the others land once."""
    tablet = await device(client)
    session = field["session"]
    batch = [headcount(1, session), headcount(2, session, delta=7), headcount(3, session)]
    answer = await push(client, tablet, batch)
    assert [r["status"] for r in answer["results"]] == ["applied", "rejected", "applied"]
    assert answer["high_water"] == 3
    assert total(database_url, session) == 2
    assert dbutil.fetch(database_url, "SELECT seq FROM sync_issue") == [(2,)]


async def test_bytes_that_are_not_utf8_inside_an_op_refuse_that_op_alone(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """Invalid UTF-8 in one op's text (or one of its keys) refuses that op, not the batch."""
    tablet = await device(client)
    session = field["session"]
    good = [json.dumps(headcount(seq, session)).encode() for seq in (1, 3, 4)]
    text = json.dumps(incident(2, "BAD")).encode().replace(b"BAD", b"x\xf4\x90\x80\x80y")
    key = json.dumps(headcount(4, session)).encode().replace(b'"type"', b'"type\xff"', 1)
    ops = b"[" + b",".join([good[0], text, good[1], key]) + b"]"
    body = b'{"device_id": "%s", "schema_version": 1, "ops": %s}' % (tablet.encode(), ops)
    response = await client.post(
        "/api/sync/push", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [r["status"] for r in answer["results"]] == [
        "applied",
        "rejected",
        "applied",
        "rejected",
    ]
    assert [r["code"] for r in answer["results"][1::2]] == ["invalid", "invalid"]
    assert total(database_url, session) == 2
    assert dbutil.fetch(database_url, "SELECT seq FROM sync_issue ORDER BY seq") == [(2,), (4,)]


async def test_ids_that_are_no_device_never_reach_the_database(
    client: httpx.AsyncClient, field: dict[str, int]
) -> None:
    """A pull or a revoke naming a device id with a NUL answers as for an unknown device."""
    pulled = await client.get("/api/sync/pull", params={"device_id": "\x00"})
    assert pulled.status_code == 200 and pulled.json()["high_water"] is None
    manager = await make_staff("overall_manager")
    await sign_in(client, manager, Settings.from_env())
    revoked = await client.post("/devices/%00/revoke")
    assert revoked.status_code in (303, 404), revoked.text
