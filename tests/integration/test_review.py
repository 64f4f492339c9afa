"""The review page (保留・要確認): refused and conflicting synced changes, through real HTTP.

Every kept change here was refused by a real push of a registered tablet; a supervisor
accepts it (applied as their decision) or dismisses it with a reason, both audited.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import uuid
from typing import Any

import httpx
import pytest

from server.audit import service as audit
from server.settings import Settings
from server.sync import ops
from tests import dbutil
from tests.support.field import apply, file_fall, staffed_session, window
from tests.support.identities import make_staff, sign_in

# Japanese texts the page must show (the catalog's translations of the reasons).
NOT_OPEN_JA = "件数は開設中の業務でのみ記録できます。"
NOT_OPEN_EN = "Counts can only be recorded while the work session is open."
PREVENTION_JA = "重大度が「高」「重大」の記録は、再発防止策を入力しないと完了にできません。"


# Headers of a Japanese browser asking for a page.
JA = {"accept": "text/html", "accept-language": "ja"}


async def push(client: httpx.AsyncClient, device_id: str, batch: list[dict[str, Any]]) -> Any:
    """Push a batch as the signed-in person's tablet; returns the answer."""
    body = {"device_id": device_id, "schema_version": 1, "ops": batch}
    response = await client.post("/api/sync/push", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def tablet(client: httpx.AsyncClient, label: str) -> str:
    """Register a tablet for the signed-in person; returns its id."""
    response = await client.post("/api/devices", json={"label": label})
    assert response.status_code == 200, response.text
    return str(response.json()["device_id"])


def op(seq: int, kind: str, payload: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    """An op as a tablet makes it."""
    return {
        "op_id": str(uuid.uuid4()),
        "seq": seq,
        "type": kind,
        "client_time": dt.datetime.now(dt.UTC).isoformat(),
        "payload": payload,
        **envelope,
    }


def count(session: int) -> dict[str, Any]:
    """A tap on 交付 in the session's first slot."""
    _, start, _ = window()
    payload = {
        "work_session_id": session,
        "slot_start": start.isoformat(),
        "category": "issuance_reserved",
        "delta": 1,
    }
    return op(1, "headcount.add", payload)


def issue(url: str, op_id: str) -> tuple[Any, ...]:
    """The kept row of an op: id, resolved, resolution, resolved_by, resolution_note."""
    rows = dbutil.fetch(
        url,
        "SELECT id, resolved, resolution, resolved_by, resolution_note FROM sync_issue "
        f"WHERE op_id = '{op_id}'",
    )
    assert len(rows) == 1, rows
    found, resolved, *rest = rows[0]
    return (found, bool(resolved), *rest)  # SQLite's booleans are 0 and 1


def audited(url: str, action: str, op_id: str) -> list[dict[str, Any]]:
    """Audit entries of ``action`` naming ``op_id``: actor, device, target and detail (the
    log is kept between tests)."""
    rows = dbutil.fetch(
        url,
        "SELECT actor_id, device_id, target, detail FROM audit_event "
        f"WHERE action = '{action}' AND detail LIKE '%{op_id}%' ORDER BY seq",
    )
    return [
        {"actor": r[0], "device": r[1], "target": r[2], "detail": json.loads(str(r[3]))}
        for r in rows
    ]


def card(page: str, op_id: str) -> str:
    """The text of the card about ``op_id`` on the review page (tags dropped)."""
    found = re.search(rf'<li[^>]*data-op-id="{op_id}".*?</li>', page, re.S)
    assert found, f"no card for {op_id}"
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))))


def total(url: str, session: int) -> int:
    """Sum of the session's headcounts."""
    rows = dbutil.fetch(
        url, f"SELECT COALESCE(SUM(delta), 0) FROM headcount WHERE work_session = {session}"
    )
    return int(str(rows[0][0]))


async def names(url: str, *ids: int) -> list[str]:
    """Display names of people, in order."""
    found = {row[0]: row[1] for row in dbutil.fetch(url, "SELECT id, display_name FROM staff")}
    return [str(found[i]) for i in ids]


@pytest.fixture
async def refused(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> dict[str, Any]:
    """A planned session (not open yet) and a high-severity incident on it; the operator's
    tablet sends a count (refused: the session is not open) and closes the incident
    without recurrence prevention (refused)."""
    ids = await staffed_session(settings, site_id=1)
    uid = await file_fall(settings, ids)
    await sign_in(client, ids["operator"], settings)
    device = await tablet(client, "本庁舎タブレット1")
    # As a tablet sends them: naming the person signed in on it.
    tap = count(ids["session"]) | {"actor_id": ids["operator"]}
    closing = {"uid": uid, "status": "closed"}
    close = op(2, "incident.update", closing, base_version=1, actor_id=ids["operator"])
    answer = await push(client, device, [tap, close])
    assert [(r["status"], r["code"]) for r in answer["results"]] == [
        ("rejected", "session_not_open"),
        ("rejected", "prevention_required"),
    ]
    supervisor = await make_staff("deputy_manager")
    await sign_in(client, supervisor, settings)
    return {**ids, "uid": uid, "device": device, "tap": tap, "close": close, "me": supervisor}


def incident_status(url: str, uid: str) -> str:
    """The incident's status in the database."""
    return str(dbutil.fetch(url, f"SELECT status FROM incident WHERE uid = '{uid}'")[0][0])


async def test_the_page_shows_each_refused_change_with_its_reason_maker_device_and_session(
    client: httpx.AsyncClient, refused: dict[str, Any], database_url: str
) -> None:
    """Each card: the reason in Japanese, who made it, the tablet, the session, the change."""
    page = await client.get("/review", headers=JA)
    assert page.status_code == 200
    [maker] = await names(database_url, refused["operator"])
    tap = card(page.text, refused["tap"]["op_id"])
    assert NOT_OPEN_JA in tap
    assert maker in tap
    assert "本庁舎タブレット1" in tap
    day = window()[0]
    assert "本庁舎" in tap and f"{day.year}年{day.month}月{day.day}日" in tap  # site and day
    assert "+1" in tap and "交付" in tap  # what it would change
    close = card(page.text, refused["close"]["op_id"])
    assert PREVENTION_JA in close
    assert "完了" in close  # status: closed, by its label
    assert 'href="/review"' in page.text  # the nav link, for supervisors
    english = await client.get("/review", headers={"accept": "text/html", "accept-language": "en"})
    assert NOT_OPEN_EN in card(english.text, refused["tap"]["op_id"])


async def test_accept_applies_the_count_as_the_supervisors_decision(
    client: httpx.AsyncClient, refused: dict[str, Any], settings: Settings, database_url: str
) -> None:
    """Once the session is open, accepting the refused count applies it, audited."""
    session = refused["session"]
    _, start, _ = window()
    await apply(
        ops.WorkSessionOpen(payload=ops.OpenWorkSession(work_session_id=session, at=start)),
        refused["operator"],
        "operator",
        settings,
    )
    issue_id = issue(database_url, refused["tap"]["op_id"])[0]
    answer = await client.post(f"/review/{issue_id}/accept", headers=JA)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/review?done=accepted"
    assert total(database_url, session) == 1
    assert issue(database_url, refused["tap"]["op_id"]) == (
        issue_id,
        True,
        "accepted",
        refused["me"],
        "",
    )
    [entry] = audited(database_url, "review.accept", refused["tap"]["op_id"])
    assert entry["actor"] == refused["me"]
    assert entry["device"] == refused["device"]
    assert entry["target"] == f"sync_issue:{issue_id}"
    assert entry["detail"]["issue_id"] == issue_id
    assert entry["detail"]["op_id"] == refused["tap"]["op_id"]
    assert entry["detail"]["maker_id"] == refused["operator"]
    assert (await audit.verify()).ok
    page = await client.get("/review?done=accepted", headers=JA)
    assert refused["tap"]["op_id"] not in page.text  # settled: off the list
    # A second accept (a resent form) changes nothing.
    again = await client.post(f"/review/{issue_id}/accept", headers=JA)
    assert again.status_code == 409
    assert total(database_url, session) == 1


async def test_refused_again_stays_open_with_its_reason_then_applies_once_it_can(
    client: httpx.AsyncClient, refused: dict[str, Any], settings: Settings, database_url: str
) -> None:
    """Accepting the close before recurrence prevention is written is refused again and
    shown; after someone writes it, accepting closes the incident."""
    uid, close = refused["uid"], refused["close"]
    issue_id = issue(database_url, close["op_id"])[0]
    answer = await client.post(f"/review/{issue_id}/accept", headers=JA)
    assert answer.status_code == 422
    assert PREVENTION_JA in card(answer.text, close["op_id"])
    assert 'data-testid="review-error"' in answer.text
    assert issue(database_url, close["op_id"])[1:3] == (False, "")
    assert incident_status(database_url, uid) == "open"
    assert audited(database_url, "review.accept", close["op_id"]) == []

    await apply(
        ops.IncidentUpdate(
            base_version=1,
            payload=ops.UpdateIncident(uid=uid, recurrence_prevention="段差に注意表示を設置。"),
        ),
        refused["in_charge"],
        "business_manager",
        settings,
    )
    answer = await client.post(f"/review/{issue_id}/accept", headers=JA)
    assert answer.status_code == 303
    assert incident_status(database_url, uid) == "closed"
    [entry] = audited(database_url, "review.accept", close["op_id"])
    assert entry["detail"]["issue_id"] == issue_id
    assert (await audit.verify()).ok


async def test_dismiss_keeps_nothing_applied_and_needs_a_clean_reason(
    client: httpx.AsyncClient, refused: dict[str, Any], settings: Settings, database_url: str
) -> None:
    """A reason is required, plain text and free of My Numbers; then nothing is applied,
    the reason is kept on the row and the dismissal is audited (without the reason)."""
    close = refused["close"]
    issue_id = issue(database_url, close["op_id"])[0]
    for reason, shown in (
        ("   ", "入力してください。"),
        ("番号は057830862716です", "個人番号"),
    ):
        answer = await client.post(
            f"/review/{issue_id}/dismiss", data={"reason": reason}, headers=JA
        )
        assert answer.status_code == 422, reason
        assert shown in card(answer.text, close["op_id"])
        assert issue(database_url, close["op_id"])[1] is False
    # No keyboard types a NUL: the form's type refuses it, on a page naming the field.
    answer = await client.post(
        f"/review/{issue_id}/dismiss", data={"reason": "理由\x00です"}, headers=JA
    )
    assert answer.status_code == 400
    assert "制御文字" in answer.text
    assert issue(database_url, close["op_id"])[1] is False
    assert "057830862716" not in str(dbutil.fetch(database_url, "SELECT * FROM sync_issue"))

    reason = "再発防止策の記入後に責任者が完了にする。"
    answer = await client.post(f"/review/{issue_id}/dismiss", data={"reason": reason}, headers=JA)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/review?done=dismissed"
    assert incident_status(database_url, refused["uid"]) == "open"
    assert issue(database_url, close["op_id"]) == (
        issue_id,
        True,
        "dismissed",
        refused["me"],
        reason,
    )
    [entry] = audited(database_url, "review.dismiss", close["op_id"])
    assert (entry["actor"], entry["target"]) == (refused["me"], f"sync_issue:{issue_id}")
    assert entry["detail"]["op_id"] == close["op_id"]
    assert entry["detail"]["maker_id"] == refused["operator"]
    assert reason not in json.dumps(entry, ensure_ascii=False)
    assert (await audit.verify()).ok
    settled = await client.post(f"/review/{issue_id}/accept", headers=JA)
    assert settled.status_code == 409
    assert incident_status(database_url, refused["uid"]) == "open"


async def test_a_conflict_shows_both_values_and_accept_takes_the_tablets(
    client: httpx.AsyncClient, refused: dict[str, Any], settings: Settings, database_url: str
) -> None:
    """Two tablets change one field from one version: the page shows both values; accept
    writes the tablet's value over the server's."""
    uid = refused["uid"]
    await sign_in(client, refused["operator"], settings)
    first, second = await tablet(client, "A"), await tablet(client, "B")
    edit = {"uid": uid, "immediate_action": "救急車を要請した。"}
    await push(client, first, [op(1, "incident.update", edit, base_version=1)])
    other = {"uid": uid, "immediate_action": "応急手当をした。"}
    late = op(1, "incident.update", other, base_version=1, actor_id=refused["operator"])
    answer = await push(client, second, [late])
    assert answer["results"][0]["status"] == "conflict"
    await sign_in(client, refused["me"], settings)
    page = await client.get("/review", headers=JA)
    shown = card(page.text, late["op_id"])
    assert "救急車を要請した。" in shown and "応急手当をした。" in shown
    assert "競合" in shown  # its tag
    issue_id = issue(database_url, late["op_id"])[0]
    answer = await client.post(f"/review/{issue_id}/accept", headers=JA)
    assert answer.status_code == 303, card(answer.text, late["op_id"])
    rows = dbutil.fetch(database_url, f"SELECT immediate_action FROM incident WHERE uid = '{uid}'")
    assert rows == [("応急手当をした。",)]
    assert (await audit.verify()).ok


async def test_a_masked_or_unreadable_change_can_only_be_dismissed(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A change refused for a My Number (kept masked), for a value of the wrong shape (a
    time without offset) or kept masked for another reason cannot be accepted; the page
    offers only dismissing it."""
    manager = await make_staff("business_manager")
    await sign_in(client, manager, settings)
    device = await tablet(client, "事務所PC")
    venue = op(1, "site.add_venue", {"name_ja": "番号は057830862716です", "venue_kind": "other"})
    day, start, end = window()
    plan = {
        "site_id": 1,
        "work_date": day.isoformat(),
        "planned_start": start.replace(tzinfo=None).isoformat(),
        "planned_end": end.isoformat(),
    }
    naive = op(2, "work_session.plan", plan)
    # Refused for another reason first (someone else made it): kept with the number masked,
    # so accepting it would store text its maker never wrote.
    other = await make_staff("business_manager")
    theirs = op(3, "site.add_venue", venue["payload"], actor_id=other)
    answer = await push(client, device, [venue, naive, theirs])
    assert [r["code"] for r in answer["results"]] == ["my_number", "invalid", "actor_unverified"]
    page = await client.get("/review", headers=JA)
    assert "057830862716" not in page.text
    for kept in (venue, naive, theirs):
        assert "そのままでは反映できません" in card(page.text, kept["op_id"])
        issue_id = issue(database_url, kept["op_id"])[0]
        refused = await client.post(f"/review/{issue_id}/accept", headers=JA)
        assert refused.status_code == 422
        assert "そのままでは反映できません" in card(refused.text, kept["op_id"])
        assert issue(database_url, kept["op_id"])[1] is False
    assert dbutil.fetch(database_url, "SELECT COUNT(*) FROM site WHERE NOT fixed") == [(0,)]
    assert dbutil.fetch(database_url, "SELECT COUNT(*) FROM work_session") == [(0,)]


@pytest.mark.parametrize("role", ["operator", "city_staff"])
async def test_others_cannot_see_or_settle_the_review(
    client: httpx.AsyncClient,
    refused: dict[str, Any],
    settings: Settings,
    database_url: str,
    role: str,
) -> None:
    """Operators and city staff are refused the page and both actions; nothing changes."""
    someone = await make_staff(role)
    await sign_in(client, someone, settings)
    issue_id = issue(database_url, refused["tap"]["op_id"])[0]
    assert (await client.get("/review", headers=JA)).status_code == 403
    accepted = await client.post(f"/review/{issue_id}/accept")
    dismissed = await client.post(f"/review/{issue_id}/dismiss", data={"reason": "不要"})
    assert (accepted.status_code, dismissed.status_code) == (403, 403)
    assert issue(database_url, refused["tap"]["op_id"])[1] is False
    assert 'href="/review"' not in (await client.get("/", headers=JA)).text


async def test_an_unknown_number_is_a_localized_not_found_page(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Accepting or dismissing nothing: 404 with the page saying so in Japanese."""
    await sign_in(client, await make_staff("overall_manager"), settings)
    for action, data in (("accept", None), ("dismiss", {"reason": "重複"})):
        answer = await client.post(f"/review/999999/{action}", data=data, headers=JA)
        assert answer.status_code == 404
        assert "この番号の確認待ちの変更はありません。" in answer.text
