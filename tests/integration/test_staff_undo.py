"""Admin actions that ask first and can be undone: deactivating a person (a manager
reactivates them) and removing someone from a work session (undone with their duty)."""

from __future__ import annotations

import re

import httpx

from server.auth.web import SESSION_COOKIE
from server.settings import Settings
from tests import dbutil
from tests.support.audit_trail import Actors
from tests.support.field import staffed_session
from tests.support.identities import make_staff, sign_in
from tests.support.passkeys import invite_token, login, register
from tests.support.soft_authenticator import SoftAuthenticator

HTMX = {"HX-Request": "true", "HX-Target": "ws-staff"}


def card(html: str, staff_id: int) -> str:
    """A person's card on the roster."""
    found = re.search(rf'<li[^>]*data-staff-id="{staff_id}".*?</li>', html, re.S)
    assert found, html[-3000:]
    return found.group(0)


def staffing(url: str, session: int) -> list[tuple[object, ...]]:
    """Who works ``session``, and as what."""
    return dbutil.fetch(
        url,
        f"SELECT staff, duty FROM work_session_staff WHERE work_session = {session} ORDER BY staff",
    )


def undo_form(html: str) -> dict[str, str]:
    """The fields of the undo form shown after a removal."""
    form = re.search(r'<form[^>]*data-testid="undo-form".*?</form>', html, re.S)
    assert form, html[-3000:]
    return dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form.group(0)))


async def test_deactivate_asks_first_then_reactivate_round_trip(
    audited: Actors, client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Deactivation (behind a confirmation) ends the person's sessions and refuses their
    passkey; reactivation lets the same passkey sign in again; both are audited."""
    key = SoftAuthenticator()
    assert (await register(client, settings, await invite_token(settings), key)).status_code == 200
    person = int(dbutil.fetch(database_url, "SELECT id FROM staff")[0][0])
    manager = await make_staff("business_manager")
    await sign_in(client, manager, settings)

    before = card((await client.get("/staff")).text, person)
    assert 'data-testid="deactivate-confirm"' in before  # the button only opens the question
    assert f'action="/staff/{person}/deactivate"' in before

    done = await client.post(f"/staff/{person}/deactivate", follow_redirects=False)
    assert done.status_code == 303
    assert dbutil.fetch(database_url, f"SELECT active FROM staff WHERE id = {person}")[0][0] in (
        False,
        0,
    )
    assert dbutil.count(database_url, "login_session") == 1  # only the manager's is left
    after = card((await client.get(done.headers["location"])).text, person)
    assert f'action="/staff/{person}/reactivate"' in after
    assert 'data-testid="reactivate"' in after

    cookie = client.cookies[SESSION_COOKIE]
    refused = await login(client, settings, key)
    assert refused.status_code == 403 and refused.json()["error"] == "staff_inactive"
    client.cookies.set(SESSION_COOKIE, cookie)

    back = await client.post(f"/staff/{person}/reactivate", follow_redirects=False)
    assert back.status_code == 303
    row = dbutil.fetch(
        database_url, f"SELECT active, deactivated_at FROM staff WHERE id = {person}"
    )
    assert row[0][0] in (True, 1) and row[0][1] is None
    assert 'data-testid="deactivate-confirm"' in card((await client.get("/staff")).text, person)
    assert (await login(client, settings, key)).status_code == 200

    assert audited("staff.deactivate", f"staff:{person}") == [(manager,)]
    assert audited("staff.reactivate", f"staff:{person}") == [(manager,)]


async def test_reactivate_follows_the_role_rules(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A deputy cannot reactivate a business manager, nor someone already active."""
    boss = await make_staff("business_manager", active=False)
    peer = await make_staff("operator")
    await sign_in(client, await make_staff("deputy_manager"), settings)
    for staff_id in (boss, peer):
        refused = await client.post(f"/staff/{staff_id}/reactivate", follow_redirects=False)
        assert refused.status_code == 422, staff_id
    assert dbutil.fetch(database_url, f"SELECT active FROM staff WHERE id = {boss}")[0][0] in (
        False,
        0,
    )


async def test_remove_from_session_asks_first_and_undo_restores_the_duty(
    audited: Actors, client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Removing the person in charge asks first; the page after it offers an undo that
    puts them back in charge (plain forms and htmx alike), each step audited."""
    ids = await staffed_session(settings, site_id=1)
    session, in_charge, operator = ids["session"], ids["in_charge"], ids["operator"]
    await sign_in(client, ids["manager"], settings)
    full = staffing(database_url, session)

    detail = await client.get(f"/work-sessions/{session}")
    row = re.search(rf'<li class="person" data-staff-id="{in_charge}".*?</li>', detail.text, re.S)
    assert row and 'data-testid="remove-confirm"' in row.group(0), detail.text[-3000:]

    removed = await client.post(
        f"/work-sessions/{session}/staff/{in_charge}/remove", follow_redirects=False
    )
    assert removed.status_code == 303
    assert staffing(database_url, session) == [(operator, "operator")]
    after = await client.get(removed.headers["location"])
    fields = undo_form(after.text)
    assert fields["staff_id"] == str(in_charge) and fields["duty"] == "in_charge"
    undone = await client.post(
        f"/work-sessions/{session}/staff", data=fields, follow_redirects=False
    )
    assert undone.status_code == 303
    assert staffing(database_url, session) == full
    assert 'data-testid="undo-form"' not in (await client.get(removed.headers["location"])).text

    # The same through htmx: the refreshed panel carries the undo.
    panel = await client.post(f"/work-sessions/{session}/staff/{operator}/remove", headers=HTMX)
    assert panel.status_code == 200 and 'id="ws-staff"' in panel.text
    fields = undo_form(panel.text)
    assert fields["duty"] == "operator"
    restored = await client.post(f"/work-sessions/{session}/staff", data=fields, headers=HTMX)
    assert restored.status_code == 200 and 'data-testid="undo-form"' not in restored.text
    assert staffing(database_url, session) == full

    target = f"work_session:{session}"
    assert len(audited("work_session.unassign", target)) == 2
    assert len(audited("work_session.assign", target)) == 4
