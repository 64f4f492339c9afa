"""Opening and closing checks with the card-stock count (issue 19): through the field
page's forms and a tablet's push, onto the daily journal and its workbook."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import httpx
from openpyxl import load_workbook  # type: ignore[import-untyped]

from server.settings import Settings
from server.sites import service as sites
from tests import dbutil
from tests.support.field import JST, staffed_session, window
from tests.support.identities import sign_in
from tests.support.sync_api import device, op, outcomes, push

START = {"checks_shown": "yes", "check": ["terminals_on", "stock_counted"], "stock_start": "120"}
FINISH = {
    "confirmed": "yes",
    "checks_shown": "yes",
    "check": ["terminals_off", "stock_counted", "forms_counted", "safe_locked"],
    "stock_received": "10",
    "stock_issued": "25",
    "stock_spoiled": "1",
}


def _checks(url: str, session: int) -> dict[str, tuple[Any, ...]]:
    rows = dbutil.fetch(
        url,
        "SELECT phase, done, missing, stock_start, stock_received, stock_issued, "
        f"stock_spoiled, stock_end FROM session_check WHERE work_session = {session}",
    )
    return {str(row[0]): tuple(row[1:]) for row in rows}


async def _journal(client: httpx.AsyncClient, site_id: int) -> str:
    day = dt.datetime.now(JST).date().isoformat()
    page = await client.get("/journal", params={"site_id": site_id, "day": day})
    assert page.status_code == 200, page.text
    return page.text


async def test_checks_and_a_stock_that_reconciles_reach_the_journal(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """The counter's in charge ticks the opening checks and counts the cards at the start,
    then the closing checks and the cards at the end; the journal names each line done or
    not done, and a count that adds up is not flagged."""
    ids = await staffed_session(settings, site_id=1)
    session = ids["session"]
    await sign_in(client, ids["in_charge"], settings)
    form = (await client.get(f"/field/sessions/{session}")).text
    assert 'data-testid="open-checks"' in form and 'name="stock_start"' in form
    assert 'value="terminals_on"' in form and "端末を起動した" in form
    opened = await client.post(f"/field/sessions/{session}/open", data=START)
    assert opened.status_code == 303, opened.text
    closed = await client.post(
        f"/field/sessions/{session}/close", data={**FINISH, "stock_end": "104"}
    )
    assert closed.status_code == 303, closed.text
    recorded = _checks(database_url, session)
    assert recorded["open"][:3] == ('["terminals_on", "stock_counted"]', '["forms_counted"]', 120)
    assert recorded["close"][3:] == (10, 25, 1, 104)
    journal = await _journal(client, 1)
    assert "開始時の点検" in journal and "終了時の点検" in journal
    assert "未実施: 申請書等の帳票を数えた" in journal
    assert 'data-testid="journal-stock"' in journal
    assert 'data-testid="stock-flag"' not in journal


async def test_a_stock_that_does_not_reconcile_is_flagged_on_the_journal_and_its_workbook(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """120 + 10 − 25 − 1 is 104; a count of 100 at the end is flagged on the page and
    said in the workbook's checks sheet."""
    ids = await staffed_session(settings, site_id=1)
    session = ids["session"]
    await sign_in(client, ids["in_charge"], settings)
    await client.post(f"/field/sessions/{session}/open", data=START)
    closed = await client.post(
        f"/field/sessions/{session}/close", data={**FINISH, "stock_end": "100"}
    )
    assert closed.status_code == 303, closed.text
    journal = await _journal(client, 1)
    assert 'data-testid="stock-flag"' in journal
    assert "カード在庫が合いません" in journal
    day = dt.datetime.now(JST).date().isoformat()
    book = await client.get(
        "/journal/download", params={"site_id": 1, "day": day, "format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(book.content))["点検"]
    stock_rows = [row for row in sheet.iter_rows(values_only=True) if row[1] == "カード在庫"]
    assert [row[4:] for row in stock_rows] == [(120, 10, 25, 1, 104, 100, "いいえ")]


async def test_a_count_below_zero_is_refused_in_the_page_language_and_nothing_is_kept(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A negative or unreadable count is explained beside the form, which keeps what was
    typed; the session stays open and no closing check is stored."""
    ids = await staffed_session(settings, site_id=1)
    session = ids["session"]
    await sign_in(client, ids["in_charge"], settings)
    await client.post(f"/field/sessions/{session}/open", data=START)
    refused = await client.post(
        f"/field/sessions/{session}/close", data={**FINISH, "stock_end": "-3"}
    )
    assert refused.status_code == 422
    assert "カードの枚数は0以上の整数で入力してください。" in refused.text
    assert 'value="25"' in refused.text  # what was typed is still there
    assert "close" not in _checks(database_url, session)
    await client.post("/lang", data={"lang": "en", "next": "/"})
    refused = await client.post(
        f"/field/sessions/{session}/close", data={**FINISH, "stock_end": "十"}
    )
    assert refused.status_code == 422
    assert "Enter the number of cards as a whole number, 0 or more." in refused.text
    status = dbutil.fetch(database_url, f"SELECT status FROM work_session WHERE id = {session}")
    assert status == [("open",)]


async def test_checks_sent_by_a_tablet_follow_the_same_rules(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A tablet's open and close ops carry the checks; a line not on the list, a card count
    at a venue and a count below zero are refused one by one, each with its reason."""
    ids = await staffed_session(settings, site_id=1)
    await sign_in(client, ids["in_charge"], settings)
    tablet = await device(client)
    _, start, _ = window()
    moment = start.astimezone(dt.UTC).isoformat()
    session = ids["session"]
    answer = await push(
        client,
        tablet,
        [
            op(
                1,
                "work_session.open",
                {"work_session_id": session, "at": moment, "checks": ["no_such_check"]},
            ),
            op(
                2,
                "work_session.open",
                {
                    "work_session_id": session,
                    "at": moment,
                    "checks": ["terminals_on"],
                    "stock_start": 50,
                },
            ),
            op(
                3,
                "work_session.close",
                {
                    "work_session_id": session,
                    "at": moment,
                    "checks": [],
                    "stock": {"issued": 3, "end": -1},
                },
            ),
            op(
                4,
                "work_session.close",
                {
                    "work_session_id": session,
                    "at": moment,
                    "checks": ["safe_locked"],
                    "stock": {"issued": 3, "end": 47},
                },
            ),
        ],
    )
    assert [status for status, _ in outcomes(answer)] == [
        "rejected",
        "applied",
        "rejected",
        "applied",
    ]
    assert outcomes(answer)[0] == ("rejected", "check_unknown")
    assert _checks(database_url, session)["close"][3:] == (0, 3, 0, 47)

    venue = await sites.add_outreach_venue(name_ja=f"点検会場 {uuid.uuid4().hex[:6]}")
    there = await staffed_session(settings, site_id=venue.id)
    await sign_in(client, there["in_charge"], settings)
    tablet = await device(client)
    answer = await push(
        client,
        tablet,
        [
            op(
                1,
                "work_session.open",
                {
                    "work_session_id": there["session"],
                    "at": moment,
                    "checks": ["terminals_on"],
                    "stock_start": 5,
                },
            )
        ],
    )
    assert outcomes(answer) == [("rejected", "stock_not_here")]
    assert _checks(database_url, there["session"]) == {}
