"""The sync API: exactly-once push, gaps, rejected ops kept, conflicts, pull by cursor."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from server.settings import Settings
from tests import dbutil
from tests.support.field import new_uid, open_session, window
from tests.support.identities import make_staff, sign_in
from tests.support.sync_api import (
    device,
    headcount,
    incident_create,
    incident_edit,
    outcomes,
    pull_all,
    push,
    push_body,
    total,
)


async def test_same_batch_twice_counts_once(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """A batch pushed again is all duplicates and changes nothing."""
    tablet = await device(client)
    batch = [headcount(seq, field["session"]) for seq in (1, 2, 3)]
    first = await push(client, tablet, batch)
    assert first["high_water"] == 3
    assert [r["status"] for r in first["results"]] == ["applied"] * 3
    again = await push(client, tablet, batch)
    assert again["high_water"] == 3
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 3
    assert total(database_url, field["session"]) == 3


async def test_gap_is_refused_and_the_client_recovers(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """A batch that skips ahead stops at the gap; resending from the mark completes it."""
    tablet = await device(client)
    ops = [headcount(seq, field["session"]) for seq in (1, 2, 3, 4)]
    early = await push(client, tablet, ops[2:])
    assert early == {"high_water": 0, "results": [], "gap": {"expected": 1, "got": 3}}
    assert total(database_url, field["session"]) == 0
    done = await push(client, tablet, ops)
    assert done["high_water"] == 4 and done["gap"] is None
    assert total(database_url, field["session"]) == 4


async def test_a_bad_op_is_kept_and_does_not_block(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """A rejected op advances the mark, is kept with its reason, and later ops apply."""
    tablet = await device(client)
    batch = [
        headcount(1, field["session"]),
        headcount(2, field["session"], category="no-such-thing"),
        headcount(3, field["session"], delta=-5),
        headcount(4, field["session"]),
    ]
    answer = await push(client, tablet, batch)
    assert [(r["status"], r.get("code")) for r in answer["results"]] == [
        ("applied", None),
        ("rejected", "category_unknown"),
        ("rejected", "below_zero"),
        ("applied", None),
    ]
    assert answer["high_water"] == 4
    assert total(database_url, field["session"]) == 2
    kept = dbutil.fetch(
        database_url, "SELECT seq, status, code, field FROM sync_issue ORDER BY seq"
    )
    assert kept == [
        (2, "rejected", "category_unknown", "category"),
        (3, "rejected", "below_zero", "delta"),
    ]


async def test_ops_for_someone_else_are_quarantined(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """An op naming another person than the signed-in one is rejected and kept."""
    tablet = await device(client)
    op = headcount(1, field["session"]) | {"actor_id": field["in_charge"]}
    answer = await push(client, tablet, [op])
    assert answer["results"][0]["code"] == "actor_unverified"
    assert total(database_url, field["session"]) == 0
    assert dbutil.fetch(database_url, "SELECT code FROM sync_issue") == [("actor_unverified",)]


async def test_incident_edits_merge_per_field(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """Same field from the same base: a conflict keeping both values; other fields merge."""
    uid = new_uid()
    tablet_a, tablet_b = await device(client, "A"), await device(client, "B")
    await push(client, tablet_a, [incident_create(1, uid, work_session_id=field["session"])])

    def edit(seq: int, **fields: Any) -> dict[str, Any]:
        return incident_edit(uid, seq, **fields)

    a = await push(client, tablet_a, [edit(2, immediate_action="整理券を配布", severity="medium")])
    b = await push(
        client,
        tablet_b,
        [edit(1, immediate_action="責任者が説明", description="長い待ち時間の苦情")],
    )
    assert a["results"][0]["status"] == "applied"
    assert b["results"][0]["status"] == "conflict"
    assert b["results"][0]["field"] == "immediate_action"
    row = dbutil.fetch(
        database_url,
        f"SELECT immediate_action, description, severity FROM incident WHERE uid = '{uid}'",
    )
    assert row == [("整理券を配布", "長い待ち時間の苦情", "medium")]
    conflict = dbutil.fetch(
        database_url,
        "SELECT field, server_value, incoming_value FROM sync_issue WHERE status = 'conflict'",
    )
    assert conflict == [("immediate_action", '"整理券を配布"', '"責任者が説明"')]


async def test_old_schema_and_revoked_devices_are_refused(
    client: httpx.AsyncClient, field: dict[str, int], settings: Settings, database_url: str
) -> None:
    """An unknown schema version gets 409; a revoked device gets 403; nothing changes."""
    tablet = await device(client)
    old = await client.post(
        "/api/sync/push",
        json={"device_id": tablet, "schema_version": 99, "ops": [headcount(1, field["session"])]},
    )
    assert old.status_code == 409
    assert old.json()["error"] == "schema_version"
    manager = await make_staff("business_manager")
    await sign_in(client, manager, settings)
    assert (await client.post(f"/devices/{tablet}/revoke")).status_code == 303
    await sign_in(client, field["operator"], settings)
    revoked = await client.post(
        "/api/sync/push",
        json={"device_id": tablet, "schema_version": 1, "ops": [headcount(1, field["session"])]},
    )
    assert revoked.status_code == 403
    assert total(database_url, field["session"]) == 0


async def test_pull_returns_changes_after_the_cursor(
    client: httpx.AsyncClient, field: dict[str, int], settings: Settings
) -> None:
    """Pull gives each changed thing as it is now; from the last cursor, only newer changes."""
    tablet = await device(client)
    await push(client, tablet, [headcount(seq, field["session"]) for seq in (1, 2)])
    first, cursor = await pull_all(client, 0)
    mine = [c for c in first if c["entity"] == "work_session" and c["id"] == field["session"]]
    assert mine[-1]["data"]["totals"] == {"issuance_reserved": 2}
    assert mine[-1]["data"]["status"] == "open"
    nothing, same = await pull_all(client, cursor)
    assert nothing == [] and same == cursor
    await push(client, tablet, [headcount(3, field["session"])])
    later, _ = await pull_all(client, cursor)
    assert [(c["entity"], c["id"]) for c in later] == [("work_session", field["session"])]
    assert later[0]["data"]["totals"] == {"issuance_reserved": 3}


async def test_pull_is_scoped_to_the_operators_sites(
    client: httpx.AsyncClient, field: dict[str, int], settings: Settings
) -> None:
    """An operator does not receive work sessions of sites they do not work at."""
    other = await open_session(settings, site_id=2)
    changes, _ = await pull_all(client, 0)
    ids = {c["id"] for c in changes if c["entity"] == "work_session"}
    assert field["session"] in ids
    assert other["session"] not in ids


async def test_gzip_batches_are_accepted(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """A gzip-compressed batch applies like a plain one; broken gzip is a 400, a bomb a 413."""
    import gzip
    import json

    tablet = await device(client)
    ops = [headcount(seq, field["session"]) for seq in range(1, 101)]
    body = gzip.compress(json.dumps(push_body(tablet, ops)).encode())
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    response = await client.post("/api/sync/push", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["high_water"] == 100
    assert total(database_url, field["session"]) == 100
    assert (
        await client.post("/api/sync/push", content=b"not gzip", headers=headers)
    ).status_code == 400
    bomb = gzip.compress(b" " * (40 * 1024 * 1024))
    assert (await client.post("/api/sync/push", content=bomb, headers=headers)).status_code == 413
    assert total(database_url, field["session"]) == 100


async def test_large_answers_are_compressed(
    client: httpx.AsyncClient, field: dict[str, int]
) -> None:
    """Large answers (scripts, the API schema) are sent gzip-compressed to clients that ask."""
    for path in ("/static/vendor/htmx-2.0.11.min.js", "/schema/openapi.json"):
        response = await client.get(path, headers={"accept-encoding": "gzip"})
        assert response.status_code == 200, path
        assert response.headers.get("content-encoding") == "gzip", path
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/sync/push" in schema["paths"]


async def test_exported_file_uploads_exactly_once(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """An export file applies like a push; uploading it again, or after a push, adds nothing."""
    import json

    tablet = await device(client)
    ops = [headcount(seq, field["session"]) for seq in range(1, 6)]
    await push(client, tablet, ops[:2])
    exported = json.dumps(push_body(tablet, ops)).encode()
    files = {"file": ("madoguchi-unsent.json", exported, "application/json")}
    # As the page's form sends it: the CSRF token as a text field beside the file.
    form = {"csrf_token": client.headers["x-csrf-token"]}
    page = await client.post("/sync/upload", files=files, data=form)
    assert page.status_code == 200, page.text
    assert 'data-testid="applied">3<' in page.text
    assert 'data-testid="duplicate">2<' in page.text
    again = await client.post("/sync/upload", files=files)
    assert 'data-testid="duplicate">5<' in again.text
    assert total(database_url, field["session"]) == 5
    bad = await client.post(
        "/sync/upload", files={"file": ("x.json", b"{oops", "application/json")}
    )
    assert bad.status_code == 400
    assert "書き出しファイルではありません" in bad.text


async def test_a_reused_op_id_is_rejected_alone(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """An op reusing an earlier op's id is rejected and kept; the device keeps syncing."""
    tablet = await device(client)
    first = headcount(1, field["session"])
    reused = headcount(2, field["session"]) | {"op_id": first["op_id"]}
    answer = await push(client, tablet, [first, reused, headcount(3, field["session"])])
    assert outcomes(answer) == [
        ("applied", None),
        ("rejected", "op_id_reused"),
        ("applied", None),
    ]
    assert answer["high_water"] == 3
    assert total(database_url, field["session"]) == 2


async def test_an_op_id_of_the_wrong_shape_is_refused_alone(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """An op id that is no UUID (overlong, or a My Number) is refused alone and kept for
    review without it; the ops around it land."""
    tablet = await device(client)
    bad = [headcount(2, field["session"]) | {"op_id": "x" * 41}]
    bad.append(headcount(3, field["session"]) | {"op_id": "057830862716"})
    ops = [headcount(1, field["session"]), *bad, headcount(4, field["session"])]
    answer = await push(client, tablet, ops)
    assert outcomes(answer) == [
        ("applied", None),
        ("rejected", "invalid"),
        ("rejected", "invalid"),
        ("applied", None),
    ]
    assert answer["high_water"] == 4
    assert total(database_url, field["session"]) == 2
    kept = dbutil.fetch(database_url, "SELECT op_id, code, field, op FROM sync_issue ORDER BY seq")
    assert [(r[0], r[1], r[2]) for r in kept] == [("", "invalid", "op_id")] * 2
    assert all("057830862716" not in r[3] for r in kept)


async def one_count_then_its_id_again(
    client: httpx.AsyncClient, session: int
) -> tuple[str, dict[str, Any]]:
    """A device that pushed one count, and a +5 count (seq 2) reusing that count's id."""
    tablet = await device(client)
    first = headcount(1, session)
    await push(client, tablet, [first])
    return tablet, headcount(2, session, delta=5) | {"op_id": first["op_id"]}


async def test_an_id_stored_by_an_earlier_batch_is_rejected_alone(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """A count reusing the id of a count stored earlier is refused; its neighbours apply."""
    tablet, reused = await one_count_then_its_id_again(client, field["session"])
    answer = await push(client, tablet, [reused, headcount(3, field["session"])])
    assert outcomes(answer) == [("rejected", "op_id_reused"), ("applied", None)]
    assert total(database_url, field["session"]) == 2


async def test_a_correction_never_leans_on_a_count_with_a_reused_id(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """A correction covered only by a refused count (reused id) is refused too: total ≥ 0."""
    tablet, reused = await one_count_then_its_id_again(client, field["session"])
    answer = await push(
        client,
        tablet,
        [
            reused,
            headcount(3, field["session"], delta=-3),
            headcount(4, field["session"], delta=-1),
        ],
    )
    assert outcomes(answer) == [
        ("rejected", "op_id_reused"),
        ("rejected", "below_zero"),
        ("applied", None),
    ]
    assert total(database_url, field["session"]) == 0


async def test_a_correction_counts_the_same_batchs_earlier_counts(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """Counts and corrections in one batch are checked in order against the running total."""
    tablet = await device(client)
    ops = [
        headcount(1, field["session"], delta=2),
        headcount(2, field["session"], delta=-2),
        headcount(3, field["session"], delta=-1),
        headcount(4, field["session"], delta=3),
        headcount(5, field["session"], delta=-3),
    ]
    answer = await push(client, tablet, ops)
    assert [r.get("code") for r in answer["results"]] == [None, None, "below_zero", None, None]
    assert total(database_url, field["session"]) == 0


async def test_pull_gives_every_kind_of_change_as_it_is_now(
    client: httpx.AsyncClient, field: dict[str, int], settings: Settings
) -> None:
    """One page holds sites, work sessions, incidents (by uid), categories and staff."""
    from server.ops.apply import apply_op
    from server.ops.context import Actor
    from server.staff import ops as staff_ops

    manager = await make_staff("business_manager")
    leaver = await make_staff("operator")
    leave = staff_ops.StaffDeactivate(payload=staff_ops.DeactivateStaff(staff_id=leaver))
    await apply_op(leave, Actor(staff_id=manager, role="business_manager"), settings.field)
    await sign_in(client, manager, settings)
    tablet = await device(client)
    uid = new_uid()
    ops: list[dict[str, Any]] = [
        {
            "op_id": str(uuid.uuid4()),
            "seq": 1,
            "type": "site.add_venue",
            "payload": {"name_ja": "中央大学 学生会館", "venue_kind": "university"},
        },
        {
            "op_id": str(uuid.uuid4()),
            "seq": 2,
            "type": "headcount.category_add",
            "payload": {"site_group": "office", "label_ja": "再交付"},
        },
        incident_create(3, uid, "案内表示がわかりにくい", work_session_id=field["session"]),
        headcount(4, field["session"], delta=2),
    ]
    answer = await push(client, tablet, ops)
    assert [r["status"] for r in answer["results"]] == ["applied"] * 4, answer
    changes, _ = await pull_all(client, 0)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        by_kind.setdefault(change["entity"], []).append(change)
    assert {"site", "work_session", "incident", "headcount_category", "staff"} <= set(by_kind)
    # Earlier tests share the database; things they removed come as tombstones (no data).
    assert any((c["data"] or {}).get("name_ja") == "中央大学 学生会館" for c in by_kind["site"])
    assert any((c["data"] or {}).get("label_ja") == "再交付" for c in by_kind["headcount_category"])
    # Pages are read one after another: a thing may come once per page that names it.
    incident = [c for c in by_kind["incident"] if c["id"] == uid][-1]
    assert incident["data"]["description"] == "案内表示がわかりにくい"
    session = next(c for c in by_kind["work_session"] if c["id"] == field["session"])
    assert session["data"]["totals"] == {"issuance_reserved": 2}
    gone = [c for c in by_kind["staff"] if c["id"] == leaver][-1]
    assert gone["data"]["active"] is False
    seqs = [c["seq"] for c in changes]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


async def test_devices_pushing_at_once_to_one_session_all_land(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str, settings: Settings
) -> None:
    """Eight tablets push counts into the same cells in opposite orders at once: no error,
    exact totals (PostgreSQL had deadlocked on the shared running sums)."""
    import asyncio

    _, start, _ = window()
    step = dt.timedelta(minutes=settings.field.slot_minutes)
    cells = [(start + i * step, c) for i in range(4) for c in ("issuance_reserved", "pin_reset")]
    tablets = [await device(client, f"T{i}") for i in range(8)]

    def batch(index: int, first_seq: int) -> list[dict[str, Any]]:
        order = cells if index % 2 else list(reversed(cells))
        ops = []
        for offset, (slot, category) in enumerate(order):
            op = headcount(first_seq + offset, field["session"], category=category)
            op["payload"]["slot_start"] = slot.isoformat()
            ops.append(op)
        return ops

    for round_ in range(3):
        answers = await asyncio.gather(
            *(
                client.post(
                    "/api/sync/push",
                    json={
                        "device_id": tablet,
                        "schema_version": 1,
                        "ops": batch(i, 1 + round_ * len(cells)),
                    },
                )
                for i, tablet in enumerate(tablets)
            )
        )
        assert [a.status_code for a in answers] == [200] * len(tablets)
        assert all(r["status"] == "applied" for a in answers for r in a.json()["results"])
    assert total(database_url, field["session"]) == 3 * len(tablets) * len(cells)
    sums = dbutil.fetch(
        database_url,
        f"SELECT SUM(n) FROM headcount_cell WHERE work_session = {field['session']}",
    )
    assert int(sums[0][0]) == 3 * len(tablets) * len(cells)


async def test_counts_after_an_open_in_the_same_batch_are_applied(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A batch that opens a session, counts into it and closes it applies in that order."""
    from tests.support.field import staffed_session

    ids = await staffed_session(settings, site_id=1)
    session = ids["session"]
    await sign_in(client, ids["operator"], settings)
    tablet = await device(client)
    _, start, end = window()

    def op(seq: int, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"op_id": str(uuid.uuid4()), "seq": seq, "type": kind, "payload": payload}

    answer = await push(
        client,
        tablet,
        [
            headcount(1, session),  # before the open: refused
            op(2, "work_session.open", {"work_session_id": session, "at": start.isoformat()}),
            headcount(3, session),
            headcount(4, session, delta=2),
            op(5, "work_session.close", {"work_session_id": session, "at": end.isoformat()}),
            headcount(6, session),  # after the close: refused
        ],
    )
    assert [(r["status"], r.get("code")) for r in answer["results"]] == [
        ("rejected", "session_not_open"),
        ("applied", None),
        ("applied", None),
        ("applied", None),
        ("applied", None),
        ("rejected", "session_not_open"),
    ]
    assert total(database_url, session) == 3


async def test_a_batch_sent_again_writes_nothing(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """A batch answered before is answered again from the device's mark, and its
    transaction (if any) is not committed: the device row is left as it was."""
    tablet = await device(client)
    batch = [headcount(seq, field["session"]) for seq in (1, 2)]
    await push(client, tablet, batch)
    row = f"SELECT high_water, last_seen_at FROM device WHERE uid = '{tablet}'"
    before = dbutil.fetch(database_url, row)
    again = await push(client, tablet, batch)
    assert again == {
        "high_water": 2,
        "results": [
            {"op_id": op["op_id"], "seq": op["seq"], "status": "duplicate"} for op in batch
        ],
        "gap": None,
    }
    assert dbutil.fetch(database_url, row) == before


async def test_one_device_pushing_twice_at_once_applies_each_op_once(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """Two overlapping batches from one device at once (a retry racing the original): each
    op is applied by exactly one of them and the mark ends at the last op."""
    import asyncio

    tablet = await device(client)
    ops = [headcount(seq, field["session"]) for seq in range(1, 9)]
    answers = await asyncio.gather(
        *(
            client.post(
                "/api/sync/push",
                json={"device_id": tablet, "schema_version": 1, "ops": part},
            )
            for part in (ops[:5], ops, ops[2:])
        )
    )
    assert [a.status_code for a in answers] == [200] * 3
    applied = [r["seq"] for a in answers for r in a.json()["results"] if r["status"] == "applied"]
    assert sorted(applied) == list(range(1, 9))
    assert total(database_url, field["session"]) == 8
    mark = await client.get("/api/sync/pull", params={"device_id": tablet})
    assert mark.json()["high_water"] == 8


async def test_counts_are_audited_once_naming_the_ids_applied(
    client: httpx.AsyncClient, field: dict[str, int], database_url: str
) -> None:
    """A push's counts land in the audit log once, one entry naming every op id applied
    (PostgreSQL appends it in the counts' own statement, unless an id turns out to be
    stored already); the chain still verifies."""
    import json

    from server.audit import service as audit

    tablet, reused = await one_count_then_its_id_again(client, field["session"])
    fresh = [headcount(seq, field["session"]) for seq in (3, 4)]
    answer = await push(client, tablet, [reused, *fresh])
    assert outcomes(answer) == [("rejected", "op_id_reused"), ("applied", None), ("applied", None)]
    more = [headcount(seq, field["session"]) for seq in (5, 6)]
    await push(client, tablet, more)
    details = dbutil.fetch(
        database_url,
        "SELECT detail FROM audit_event WHERE action = 'headcount.add' "
        f"AND device_id = '{tablet}' ORDER BY seq",
    )
    named = [json.loads(str(detail))["op_ids"] for (detail,) in details]
    assert named[1:] == [[op["op_id"] for op in fresh], [op["op_id"] for op in more]]
    assert len(named) == 3
    assert (await audit.verify()).ok


async def test_a_pull_page_is_gzipped_by_the_sync_api_itself(
    client: httpx.AsyncClient, field: dict[str, int], settings: Settings
) -> None:
    """A pull answer over 1 KB comes gzipped (one zlib call at the sync API's level) to a
    client that accepts it, and as plain JSON to one that does not."""
    import zlib

    from server.audit import service as audit
    from server.web.json_answer import ANSWER_LEVEL, GZIP_CONTAINER

    # From here on (the log holds earlier tests' entries too): sessions enough for 1 KB.
    cursor = await audit.head_seq()
    for hour in (11, 12, 13, 14):
        await open_session(settings, site_id=1, start_hour=hour)
    page = {"cursor": cursor}
    zipped = await client.get("/api/sync/pull", params=page, headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["vary"]
    body = zipped.content  # httpx has inflated it
    assert len(body) > 1024 and zipped.json()["changes"]
    assert int(zipped.headers["content-length"]) == len(
        zlib.compress(body, ANSWER_LEVEL, GZIP_CONTAINER)
    )
    plain = await client.get("/api/sync/pull", params=page, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.json()["changes"] == zipped.json()["changes"]
