"""The checklists are configured per kind of site (issue 19): a manager adds a line to
one kind of site's closing checks and retires one; the field page's Finish form follows,
and what was recorded with a retired line stays readable on the journal."""

from __future__ import annotations

import uuid

import httpx

from server.settings import Settings
from tests.support.field import staffed_session
from tests.support.identities import make_staff, sign_in


def _lines(html: str, phase: str) -> str:
    """The part of a field page holding one phase's checklist."""
    start = html.index(f'data-testid="{phase}-checks"')
    return html[start : html.index("</fieldset>", start)]


async def test_a_manager_adds_and_retires_checks_and_the_forms_follow(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """An added line appears in that kind of site's Finish form only; a retired one leaves
    it, and a duplicate or empty label is refused in Japanese."""
    label = f"防犯カメラの録画を確認した {uuid.uuid4().hex[:4]}"  # the list is kept between tests
    manager = await make_staff("overall_manager")
    await sign_in(client, manager, settings)
    added = await client.post(
        "/sites/checks",
        data={"site_group": "office", "phase": "close", "label_ja": label},
    )
    assert added.status_code == 303, added.text
    again = await client.post(
        "/sites/checks",
        data={"site_group": "office", "phase": "close", "label_ja": label},
    )
    assert again.status_code == 422 and "この点検項目はすでにあります。" in again.text
    empty = await client.post(
        "/sites/checks", data={"site_group": "office", "phase": "open", "label_ja": " "}
    )
    assert empty.status_code == 422
    page = (await client.get("/sites/checks")).text
    assert label in page
    toggle = "/sites/checks/office/close/safe_locked/toggle"
    assert (await client.post(toggle)).status_code == 303

    ids = await staffed_session(settings, site_id=1)
    await sign_in(client, ids["in_charge"], settings)
    await client.post(f"/field/sessions/{ids['session']}/open", data={"checks_shown": "yes"})
    field = (await client.get(f"/field/sessions/{ids['session']}")).text
    closing = _lines(field, "close")
    assert label in closing
    assert "金庫を施錠した" not in closing
    assert label not in _lines(field, "open")

    await sign_in(client, manager, settings)
    assert (await client.post(toggle)).status_code == 303  # restored
    await sign_in(client, await make_staff("operator"), settings)
    assert (await client.post(toggle)).status_code == 403
    assert (await client.get("/sites/checks")).status_code == 200
