"""Who may start, finish and reopen a work session, and when (issue 18, point 1).

Through real HTTP: the field page's forms and a tablet's synced push reach the same rule,
and each refusal comes back with its code and its Japanese words.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx

from server.common.errors import OpRejected
from server.settings import Settings
from server.sync import ops
from server.web.i18n import load_catalogs
from server.work_sessions import transitions
from tests import dbutil
from tests.support import audit_trail
from tests.support.field import JST, apply, open_session, staffed_session, window
from tests.support.identities import make_staff, sign_in
from tests.support.sync_api import device, headcount, op, outcomes, push

REASON = "前日の準備が遅れたため、本日に前倒しで開設する。"
MY_NUMBER = "受付票の番号 1234 5678 9018 を控えた"


def ja(refusal: OpRejected) -> str:
    """The refusal's Japanese words, as pages and push answers give them."""
    words = load_catalogs()["ja"].gettext(refusal.message)
    assert words != refusal.message, f"no Japanese for {refusal.message!r}"
    return words


def status(url: str, session: int) -> tuple[str, bool]:
    """The session's status, and whether it has an actual end."""
    rows = dbutil.fetch(
        url, f"SELECT status, actual_end IS NOT NULL FROM work_session WHERE id = {session}"
    )
    return str(rows[0][0]), bool(rows[0][1])


def audit_details(url: str, action: str, session: int, since: int) -> list[dict[str, Any]]:
    """The details of the audit entries of ``action`` on the session after ``since``."""
    rows = dbutil.fetch(
        url,
        f"SELECT detail FROM audit_event WHERE action = '{action}' "
        f"AND target = 'work_session:{session}' AND seq > {since} ORDER BY seq",
    )
    return [json.loads(str(row[0])) for row in rows]


def revision_reasons(url: str, session: int) -> list[str]:
    """The reasons kept with the session's revisions, oldest first."""
    rows = dbutil.fetch(
        url,
        "SELECT reason FROM work_session_revision "
        f"WHERE work_session = {session} AND reason <> '' ORDER BY version",
    )
    return [str(row[0]) for row in rows]


def reason_kept_off_the_audit(url: str, session: int, action: str, since: int) -> None:
    """The session keeps REASON as its one reason; its one ``action`` entry in the audit log
    (never pruned) holds no free text."""
    assert revision_reasons(url, session) == [REASON]
    [entry] = audit_details(url, action, session, since)
    assert REASON not in json.dumps(entry, ensure_ascii=False)


async def cannot_start(
    client: httpx.AsyncClient, session: int, note: str, refusal: OpRejected
) -> None:
    """The session's page shows the ``note`` test id instead of the start button, and a start
    posted anyway is refused (400) in ``refusal``'s Japanese words."""
    page = await client.get(f"/field/sessions/{session}")
    assert f'data-testid="{note}"' in page.text
    assert 'data-testid="open-session"' not in page.text
    refused = await client.post(f"/field/sessions/{session}/open")
    assert refused.status_code == 400
    assert ja(refusal) in refused.text


def moment(seq: int, kind: str, session: int, at: dt.datetime, **more: Any) -> dict[str, Any]:
    """A start or finish op as a tablet sends it."""
    return op(seq, kind, {"work_session_id": session, "at": at.isoformat(), **more})


async def test_only_its_staff_or_a_manager_start_and_finish_a_session(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Someone not on the session's staff is refused both ways; its operator and an
    unassigned manager are not."""
    ids = await staffed_session(settings, site_id=1)
    session = ids["session"]
    stranger = await make_staff("operator")
    await sign_in(client, stranger, settings)
    await cannot_start(client, session, "not-on-session", transitions.NOT_ON_SESSION)
    strangers_tablet = await device(client)
    now = dt.datetime.now(dt.UTC)
    answer = await push(client, strangers_tablet, [moment(1, "work_session.open", session, now)])
    assert outcomes(answer) == [("rejected", "not_on_session")]
    assert answer["results"][0]["message"] == ja(transitions.NOT_ON_SESSION)
    assert status(database_url, session) == ("planned", False)

    await sign_in(client, ids["operator"], settings)
    assert (await client.post(f"/field/sessions/{session}/open")).status_code == 303
    assert status(database_url, session) == ("open", False)

    await sign_in(client, stranger, settings)
    refused = await client.post(f"/field/sessions/{session}/close", data={"confirmed": "yes"})
    assert refused.status_code == 400
    assert ja(transitions.NOT_ON_SESSION) in refused.text
    answer = await push(client, strangers_tablet, [moment(2, "work_session.close", session, now)])
    assert outcomes(answer) == [("rejected", "not_on_session")]
    assert status(database_url, session) == ("open", False)

    await sign_in(client, ids["operator"], settings)
    later = dt.datetime.now(dt.UTC)
    answer = await push(
        client, await device(client), [moment(1, "work_session.close", session, later)]
    )
    assert outcomes(answer) == [("applied", None)]
    assert status(database_url, session) == ("closed", True)

    other = await staffed_session(settings, site_id=2)
    await sign_in(client, await make_staff("deputy_manager"), settings)  # on nobody's staff
    assert (await client.post(f"/field/sessions/{other['session']}/open")).status_code == 303
    assert status(database_url, other["session"]) == ("open", False)


async def test_a_session_starts_on_its_work_date_unless_a_manager_says_why(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Tomorrow's session: its operator is refused by form and by push (even with a tablet
    clock set to tomorrow); its manager only with a reason, kept with the session."""
    tomorrow = dt.datetime.now(JST).date() + dt.timedelta(days=1)
    since = audit_trail.head(database_url)
    ids = await staffed_session(settings, site_id=1, day=tomorrow)
    session = ids["session"]
    await sign_in(client, ids["operator"], settings)
    await cannot_start(client, session, "not-work-date", transitions.OTHER_DAY)
    _, tomorrow_start, _ = window(tomorrow)
    answer = await push(
        client,
        await device(client),
        [
            moment(1, "work_session.open", session, dt.datetime.now(dt.UTC)),
            moment(2, "work_session.open", session, tomorrow_start, override_reason=REASON),
        ],
    )
    assert outcomes(answer) == [("rejected", "not_planned_day"), ("rejected", "not_planned_day")]
    assert answer["results"][0]["message"] == ja(transitions.OTHER_DAY)
    assert status(database_url, session) == ("planned", False)

    await sign_in(client, ids["in_charge"], settings)  # a business manager
    page = await client.get(f"/field/sessions/{session}")
    assert 'name="override_reason"' in page.text and 'data-testid="open-session"' in page.text
    for reason, words in (
        ("", ja(transitions.OVERRIDE_REASON_REQUIRED)),
        ("   ", ja(transitions.OVERRIDE_REASON_REQUIRED)),
        (MY_NUMBER, "個人番号"),
    ):
        refused = await client.post(
            f"/field/sessions/{session}/open", data={"override_reason": reason}
        )
        assert refused.status_code == 400, reason
        assert words in refused.text, reason
    assert status(database_url, session) == ("planned", False)
    assert audit_details(database_url, "work_session.open", session, since) == []
    started = await client.post(f"/field/sessions/{session}/open", data={"override_reason": REASON})
    assert started.status_code == 303
    assert status(database_url, session) == ("open", False)
    # The reason stays with the session; the audit log (never pruned) holds no free text.
    reason_kept_off_the_audit(database_url, session, "work_session.open", since)


async def test_a_start_made_offline_on_the_work_date_is_taken_the_day_after(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A tablet offline all day sends yesterday's start today: the day it was made counts
    (so a late sync loses nothing), and no reason is asked of the operator."""
    yesterday = dt.datetime.now(JST).date() - dt.timedelta(days=1)
    since = audit_trail.head(database_url)
    ids = await staffed_session(settings, site_id=1, day=yesterday)
    await sign_in(client, ids["operator"], settings)
    _, start, _ = window(yesterday)
    answer = await push(
        client, await device(client), [moment(1, "work_session.open", ids["session"], start)]
    )
    assert outcomes(answer) == [("applied", None)]
    assert len(audit_details(database_url, "work_session.open", ids["session"], since)) == 1
    assert revision_reasons(database_url, ids["session"]) == []


async def test_a_manager_reopens_a_finished_session_with_a_reason(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """An operator cannot reopen (page, form or push); a manager must say why, and the
    session keeps it (not the audit log); it is open again and takes counts."""
    since = audit_trail.head(database_url)
    ids = await open_session(settings, site_id=1)
    session = ids["session"]
    _, _, end = window()
    close = ops.WorkSessionClose(payload=ops.CloseWorkSession(work_session_id=session, at=end))
    await apply(close, ids["operator"], "operator", settings)
    assert status(database_url, session) == ("closed", True)

    await sign_in(client, ids["operator"], settings)
    assert 'data-testid="reopen-panel"' not in (await client.get(f"/work-sessions/{session}")).text
    forbidden = await client.post(f"/work-sessions/{session}/reopen", data={"reason": REASON})
    assert forbidden.status_code == 403
    answer = await push(
        client,
        await device(client),
        [op(1, "work_session.reopen", {"work_session_id": session, "reason": REASON})],
    )
    assert outcomes(answer) == [("rejected", "forbidden")]
    assert status(database_url, session) == ("closed", True)

    await sign_in(client, ids["manager"], settings)
    assert 'data-testid="reopen-panel"' in (await client.get(f"/work-sessions/{session}")).text
    for reason in ("", "  \n "):
        refused = await client.post(f"/work-sessions/{session}/reopen", data={"reason": reason})
        assert refused.status_code == 422
        assert ja(transitions.REOPEN_REASON_REQUIRED) in refused.text
    assert status(database_url, session) == ("closed", True)
    reopened = await client.post(f"/work-sessions/{session}/reopen", data={"reason": REASON})
    assert reopened.status_code == 303
    assert status(database_url, session) == ("open", False)
    reason_kept_off_the_audit(database_url, session, "work_session.reopen", since)
    again = await client.post(f"/work-sessions/{session}/reopen", data={"reason": REASON})
    assert again.status_code == 422
    assert ja(transitions.NOT_CLOSED) in again.text

    await sign_in(client, ids["operator"], settings)
    answer = await push(client, await device(client, "second"), [headcount(1, session)])
    assert outcomes(answer) == [("applied", None)]
