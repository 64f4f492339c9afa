"""The tablet field page through real HTTP: open, tap, correct, close."""

from __future__ import annotations

import re

import httpx

from server.settings import Settings
from tests import dbutil
from tests.support.field import plan_session, staff_session
from tests.support.identities import make_staff, sign_in


async def staffed_session(settings: Settings, site_id: int = 6) -> dict[str, int]:
    """A planned session at an outreach venue with a person in charge and an operator."""
    manager = await make_staff("overall_manager")
    in_charge = await make_staff("deputy_manager")
    operator = await make_staff("operator")
    session = await plan_session(settings, site_id=site_id, manager_id=manager)
    await staff_session(settings, session, manager=manager, in_charge=in_charge, operator=operator)
    return {"session": session, "operator": operator, "manager": manager}


def slot_value(html: str) -> str:
    """The slot the page's counters post."""
    found = re.search(r'"slot": "([^"]+)"', html)
    assert found, html
    return found.group(1)


async def test_operator_opens_taps_corrects_and_closes(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Taps and a correction update the counters fragment and the database alike."""
    venue = int(dbutil.fetch(database_url, "SELECT id FROM site WHERE code = 'honcho'")[0][0])
    ids = await staffed_session(settings, site_id=venue)
    await sign_in(client, ids["operator"], settings)
    page = await client.get(f"/field/sessions/{ids['session']}")
    assert 'data-testid="open-session"' in page.text
    opened = await client.post(f"/field/sessions/{ids['session']}/open")
    assert opened.status_code == 303
    page = await client.get(f"/field/sessions/{ids['session']}")
    slot = slot_value(page.text)
    for category, delta in (
        ("issuance_reserved", 1),
        ("issuance_reserved", 1),
        ("pin_reset", 1),
        ("issuance_reserved", -1),
    ):
        fragment = await client.post(
            f"/field/sessions/{ids['session']}/count",
            data={"category": category, "delta": str(delta), "slot": slot},
            headers={"HX-Request": "true"},
        )
        assert fragment.status_code == 200
        assert "HX-Request" in fragment.headers["vary"]
        assert fragment.text.lstrip().startswith('<section id="counters"')
    assert 'data-testid="total-issuance_reserved">1<' in fragment.text
    assert 'data-testid="total-pin_reset">1<' in fragment.text
    rows = dbutil.fetch(
        database_url,
        f"SELECT category, SUM(delta) FROM headcount WHERE work_session = {ids['session']} "
        "GROUP BY category ORDER BY category",
    )
    assert [(r[0], int(r[1])) for r in rows] == [("issuance_reserved", 1), ("pin_reset", 1)]
    asked = await client.post(f"/field/sessions/{ids['session']}/close")
    assert asked.status_code == 200  # first the confirmation, with the totals
    assert re.search(r'<details class="session-close"[^>]* open>', asked.text)
    assert 'data-testid="close-total-issuance_reserved">1<' in asked.text
    closed = await client.post(f"/field/sessions/{ids['session']}/close", data={"confirmed": "yes"})
    assert closed.status_code == 303
    status = dbutil.fetch(
        database_url, f"SELECT status FROM work_session WHERE id = {ids['session']}"
    )
    assert status == [("closed",)]


async def test_refused_tap_shows_why_and_changes_nothing(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A correction below zero answers with the message in the fragment; nothing is stored."""
    ids = await staffed_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    await client.post(f"/field/sessions/{ids['session']}/open")
    slot = slot_value((await client.get(f"/field/sessions/{ids['session']}")).text)
    fragment = await client.post(
        f"/field/sessions/{ids['session']}/count",
        data={"category": "issuance_reserved", "delta": "-1", "slot": slot},
        headers={"HX-Request": "true"},
    )
    assert "合計を0未満にすることはできません" in fragment.text
    assert dbutil.fetch(database_url, "SELECT count(*) FROM headcount")[0][0] == 0


async def test_open_without_in_charge_says_so(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Opening a session with nobody in charge is refused with the reason on the page."""
    manager = await make_staff("overall_manager")
    operator = await make_staff("operator")
    session = await plan_session(settings, site_id=1, manager_id=manager)
    await sign_in(client, operator, settings)
    response = await client.post(
        f"/field/sessions/{session}/open", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert "needs a person in charge" in response.text
    status = dbutil.fetch(database_url, f"SELECT status FROM work_session WHERE id = {session}")
    assert status == [("planned",)]


async def test_city_staff_read_but_cannot_tap(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """City staff see the counters without buttons and a tap is forbidden."""
    ids = await staffed_session(settings, site_id=1)
    city = await make_staff("city_staff")
    await sign_in(client, city, settings)
    page = await client.get(f"/field/sessions/{ids['session']}")
    assert page.status_code == 200
    assert "plus-issuance_reserved" not in page.text
    response = await client.post(
        f"/field/sessions/{ids['session']}/count",
        data={"category": "issuance_reserved", "delta": "1", "slot": "2026-01-01T01:00:00+00:00"},
    )
    assert response.status_code == 403
