"""The roster on a 390×844 phone in Chromium: a manager signed in with a passkey creates an
invite (the role starts at operator; a reload makes no second link), deactivates someone
after confirming and reactivates them; axe-core finds nothing serious on these pages,
the deactivated person's card included."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from server import db
from server.settings import Settings
from tests import dbutil
from tests.support import passkey_browser as passkeys
from tests.support.browser import SERIOUS, axe_violations
from tests.support.identities import make_staff
from tests.support.layout import shot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


async def _person(settings: Settings) -> int:
    db.bind_engine(db.make_engine(settings.database))
    return await make_staff("operator")


def _fits_and_passes_axe(tab: Any, name: str) -> None:
    """No sideways scroll, no serious or critical axe finding; a screenshot for a reviewer."""
    assert tab.evaluate(OVERFLOW) <= 1, f"{name} scrolls sideways at 390 px"
    assert axe_violations(tab, SERIOUS) == [], name
    shot(tab, f"staff-{name.replace(' ', '-')}")


def _active(url: str, staff_id: int) -> bool:
    return bool(dbutil.fetch(url, f"SELECT active FROM staff WHERE id = {staff_id}")[0][0])


def test_invite_once_then_deactivate_and_reactivate_on_a_phone(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """Invite: POST, link shown, reload shows no link and makes no second invite. Deactivate
    asks first, the card reads as deactivated, reactivate brings the person back."""
    tab, problems = page
    tab.set_viewport_size(PHONE)
    person = dbutil.run_coroutine(_person(Settings.from_env()))
    origin = passkeys.origin_of(live_server)
    name = passkeys.unique_name("名簿 責任者")
    passkeys.add_authenticator(tab)
    passkeys.register(tab, passkeys.invite(name, live_server, "business_manager"), name, origin)

    tab.goto(f"{origin}/staff")
    expect(tab.get_by_test_id("invite-role")).to_have_value("operator")
    newcomer = f"新人 {uuid.uuid4().hex[:8]}"
    tab.get_by_test_id("invite-name-input").fill(newcomer)
    tab.get_by_test_id("invite-create").click()
    tab.wait_for_url(re.compile(r".*/staff/invites/\d+$"))
    expect(tab.get_by_test_id("invite-url")).to_have_value(re.compile(r"/invite/[\w-]{43}$"))
    _fits_and_passes_axe(tab, "invite link")
    tab.reload()
    expect(tab.get_by_test_id("invite-shown-once")).to_be_visible()
    expect(tab.get_by_test_id("invite-url")).to_have_count(0)
    made = dbutil.fetch(database_url, f"SELECT id FROM invite WHERE display_name = '{newcomer}'")
    assert len(made) == 1
    _fits_and_passes_axe(tab, "invite shown once")

    tab.goto(f"{origin}/staff")
    expect(tab.locator(f'[data-invite-id="{made[0][0]}"]')).to_contain_text(newcomer)
    card = tab.locator(f'[data-staff-id="{person}"]')
    card.get_by_text("無効にする…").click()
    expect(card.get_by_test_id("deactivate-confirm")).to_contain_text("無効にしますか")
    assert _active(database_url, person)  # opening the question changed nothing
    _fits_and_passes_axe(tab, "roster, deactivation asked")
    card.get_by_test_id("deactivate").click()
    tab.wait_for_url(re.compile(r".*/staff\?done=deactivated"))
    expect(tab.get_by_test_id("notice")).to_contain_text("無効にしました")
    expect(card).to_have_class(re.compile(r"\binactive\b"))
    expect(card.get_by_test_id("deactivated")).to_be_visible()
    assert not _active(database_url, person)
    _fits_and_passes_axe(tab, "roster with a deactivated card")

    card.get_by_test_id("reactivate").click()
    tab.wait_for_url(re.compile(r".*/staff\?done=reactivated"))
    expect(card.get_by_test_id("deactivate-confirm")).to_be_visible()
    assert _active(database_url, person)
    assert problems.all() == []
