"""The journal lists the sync problems still open for its site's day (issue 19): a change
a tablet sent that was refused and kept for review shows until a supervisor settles it.
"""

from __future__ import annotations

import datetime as dt

import httpx

from server.settings import Settings
from tests import dbutil
from tests.support.field import JST, open_session
from tests.support.identities import make_staff, sign_in
from tests.support.sync_api import device, headcount, outcomes, push


async def test_open_sync_problems_of_the_day_are_listed_until_settled(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A count refused on the day's session is listed; dismissed, it is gone."""
    ids = await open_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    tablet = await device(client)
    answer = await push(client, tablet, [headcount(1, ids["session"], category="no_such_code")])
    assert [status for status, _ in outcomes(answer)] == ["rejected"]
    await sign_in(client, await make_staff("business_manager"), settings)
    day = dt.datetime.now(JST).date().isoformat()
    path = f"/journal?site_id=1&day={day}"
    listed = (await client.get(path)).text
    section = listed[listed.index('data-testid="journal-sync-problems"') :]
    section = section[: section.index("</ul>")]
    assert "<strong>集計</strong>" in section, section  # the refused count, by its kind
    issue = dbutil.fetch(database_url, "SELECT id FROM sync_issue WHERE resolved = false")
    (issue_id,) = [row[0] for row in issue][-1:]
    await sign_in(client, await make_staff("overall_manager"), settings)
    settled = await client.post(f"/review/{issue_id}/dismiss", data={"reason": "誤操作"})
    assert settled.status_code in (200, 303), settled.text
    listed = (await client.get(path)).text
    section = listed[listed.index('data-testid="journal-sync-problems"') :]
    assert 'class="empty"' in section[: section.index("</ul>")]
