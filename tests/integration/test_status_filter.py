"""The work-session list's status filter offers the states sessions really reach."""

from __future__ import annotations

import re

import httpx

from server.settings import Settings
from server.sync import ops
from tests import dbutil
from tests.support.field import apply, staffed_session, window
from tests.support.identities import make_staff, sign_in


def status_of(database_url: str, session: int) -> str:
    """The session's status as stored."""
    return str(
        dbutil.fetch(database_url, f"SELECT status FROM work_session WHERE id = {session}")[0][0]
    )


def offered(html: str) -> list[str]:
    """The values the list's status filter offers (its "any status" choice left out)."""
    select = re.search(r'<select name="status">(.*?)</select>', html, re.S)
    assert select is not None
    return [value for value in re.findall(r'<option value="([^"]*)"', select.group(1)) if value]


async def test_the_filter_offers_no_state_that_nothing_sets(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A session taken through every op that moves it (planned, opened, closed) reaches each
    state the filter offers, and the filter offers no other: 確定済 is not set by anything
    until the day lock arrives, which adds its op to this walk."""
    ids = await staffed_session(settings, site_id=1)
    session, _, start, end = ids["session"], *window()
    moves: list[ops.Op] = [
        ops.WorkSessionOpen(payload=ops.OpenWorkSession(work_session_id=session, at=start)),
        ops.WorkSessionClose(payload=ops.CloseWorkSession(work_session_id=session, at=end)),
    ]
    reached = [status_of(database_url, session)]
    for move in moves:
        await apply(move, ids["operator"], "operator", settings)
        reached.append(status_of(database_url, session))
    assert reached == ["planned", "open", "closed"]

    await sign_in(client, await make_staff("overall_manager"), settings)
    page = await client.get("/work-sessions")
    assert page.status_code == 200
    assert offered(page.text) == reached
    assert "確定済" not in page.text
