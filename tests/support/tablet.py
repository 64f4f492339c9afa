"""The field page on a tablet in Chromium: a staffed session, sign-in, and waits on the outbox.

Waits are on the page's own state (``wait_for_function``, ``expect``), never on a clock.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from server import db
from server.auth import service as auth_service
from server.common.clock import JST
from server.headcounts.service import slot_of
from server.incidents.ops import Severity
from server.settings import Settings
from server.sites import service as sites
from server.sync import ops
from tests import dbutil
from tests.support.browser import wait_until
from tests.support.field import apply, count_at, file_incident, open_for, staff_session
from tests.support.identities import make_staff

# Offline, the browser logs the requests it could not make; nothing else may go wrong.
EXPECTED_OFFLINE = re.compile(r"ERR_INTERNET_DISCONNECTED|Failed to fetch|ERR_NETWORK_CHANGED")
# The ops the tablet has not sent yet, oldest first.
OUTBOX = """async () => {
  const { pending } = await import('/static/js/outbox.js');
  return (await pending()).map((op) => op);
}"""
OUTBOX_EMPTY = """async () => {
  const { pending } = await import('/static/js/outbox.js');
  return (await pending()).length === 0;
}"""


def run(coroutine: Any) -> Any:
    """Run a coroutine against the test database (the live server's)."""
    return dbutil.run_coroutine(coroutine)


async def _today_session(
    settings: Settings, *, opened: bool = False, venue: str | None = None
) -> dict[str, Any]:
    db.bind_engine(db.make_engine(settings.database))
    site_id = 1
    if venue is not None:
        name = f"会場 {uuid.uuid4().hex[:6]}"
        site_id = (await sites.add_outreach_venue(name_ja=name, venue_service=venue)).id
    manager = await make_staff("overall_manager")
    in_charge = await make_staff("business_manager")
    operator = await make_staff("operator")
    now = dt.datetime.now(JST).replace(second=0, microsecond=0)
    start = max(now - dt.timedelta(hours=1), now.replace(hour=0, minute=0))
    await open_for(site_id, now.date(), start, now + dt.timedelta(hours=3))
    applied = await apply(
        ops.WorkSessionPlan(
            payload=ops.PlanWorkSession(
                site_id=site_id,
                work_date=now.date(),
                planned_start=start,
                planned_end=now + dt.timedelta(hours=3),
                allow_overlap=True,  # every tablet test has its own session around now
            )
        ),
        manager,
        "overall_manager",
        settings,
    )
    session = int(applied.entity_id or 0)
    await staff_session(settings, session, manager=manager, in_charge=in_charge, operator=operator)
    if opened:
        at = ops.OpenWorkSession(work_session_id=session, at=dt.datetime.now(JST))
        await apply(ops.WorkSessionOpen(payload=at), operator, "operator", settings)
    async with db.writing():
        cookie = await auth_service.create_login_session(operator, settings.auth)
    return {
        "session": session,
        "operator": operator,
        "cookie": cookie,
        "manager": manager,
        "site": site_id,
    }


def today_session(*, opened: bool = False, venue: str | None = None) -> dict[str, Any]:
    """A staffed session around now (planned, or opened) at 本庁舎, or at a new outreach
    venue doing ``venue`` (``reception`` or ``support``), and an operator's cookie."""
    data: dict[str, Any] = run(_today_session(Settings.from_env(), opened=opened, venue=venue))
    return data


async def _file_incident(settings: Settings, data: dict[str, Any], severity: Severity) -> str:
    db.bind_engine(db.make_engine(settings.database))
    return await file_incident(
        settings,
        data,
        category="complaint",
        severity=severity,
        description="待ち時間が長いとの苦情",
        ago=dt.timedelta(minutes=10),
    )


def filed_incident(data: dict[str, Any], severity: Severity = "low") -> str:
    """An incident (version 1) on the session, filed by its operator; returns its uid."""
    return str(run(_file_incident(Settings.from_env(), data, severity)))


async def _login_session(settings: Settings, staff_id: int | None, role: str) -> str:
    engine = db.make_engine(settings.database)
    db.bind_engine(engine)
    try:
        person = staff_id if staff_id is not None else await make_staff(role)
        async with db.writing():
            cookie: str = await auth_service.create_login_session(person, settings.auth)
    finally:
        await db.stop(engine)  # its connections belong to this event loop
    return cookie


def login_cookie(role: str, staff_id: int | None = None) -> str:
    """A login session's cookie for ``staff_id`` (or a new person with ``role``)."""
    cookie: str = run(_login_session(Settings.from_env(), staff_id, role))
    return cookie


async def _count_now(settings: Settings, data: dict[str, Any], category: str) -> None:
    engine = db.make_engine(settings.database)
    db.bind_engine(engine)
    try:
        slot = slot_of(dt.datetime.now(dt.UTC), settings.field.slot_minutes)
        await count_at(settings, data, slot, category, 1)
    finally:
        await db.stop(engine)


def count_in(data: dict[str, Any], category: str) -> None:
    """One count of ``category`` now in today's session, as its operator (a synced tap)."""
    run(_count_now(Settings.from_env(), data, category))


def signed_in(tab: Any, live_server: str, cookie: str) -> None:
    """Give the browser the operator's login session."""
    tab.context.add_cookies([{"name": "madoguchi_session", "value": cookie, "url": live_server}])


def total(tab: Any, code: str) -> Any:
    """The on-screen total of a category."""
    return tab.get_by_test_id(f"total-{code}")


def unexpected(problems: Any) -> list[str]:
    """Problems other than the network failures an offline page is expected to log."""
    return [p for p in problems.all() if not EXPECTED_OFFLINE.search(p)]


def synced(tab: Any, timeout: float = 20000) -> None:
    """Wait until the tablet's outbox is empty (everything sent and answered)."""
    try:
        wait_until(tab, OUTBOX_EMPTY, timeout=timeout)
    except PlaywrightTimeoutError:
        assert tab.evaluate(OUTBOX) == [], "the outbox did not drain"
        raise


def db_totals(database_url: str, session: int) -> dict[str, int]:
    """The session's totals in the database, per category (categories at zero left out)."""
    rows = dbutil.fetch(
        database_url,
        f"SELECT category, SUM(delta) FROM headcount WHERE work_session = {session} "
        "GROUP BY category",
    )
    return {str(r[0]): int(str(r[1])) for r in rows if int(str(r[1]))}


def ready_for_offline(tab: Any) -> None:
    """Wait until the worker controls the page and keeps it (and the incident form)."""
    expect(tab.get_by_test_id("sync-status")).to_have_attribute(
        "data-offline-ready", "1", timeout=15000
    )
    tab.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)


def open_online(tab: Any, session: int) -> None:
    """Open the session online and wait until the page is kept for offline use."""
    tab.goto(f"/field/sessions/{session}")
    tab.get_by_test_id("open-session").click()
    expect(tab.get_by_test_id("session-status")).to_have_text("開設中")
    ready_for_offline(tab)
    # Opening may have gone through the outbox (when the worker answered it): let it sync.
    synced(tab, timeout=15000)


def planned_offline(tab: Any, live_server: str, data: dict[str, Any]) -> int:
    """The planned session's page kept for offline use, then reloaded offline; its id."""
    session = int(data["session"])
    signed_in(tab, live_server, data["cookie"])
    tab.goto(f"/field/sessions/{session}")
    expect(tab.get_by_test_id("session-status")).to_have_text("予定")
    ready_for_offline(tab)
    tab.context.set_offline(True)
    tab.reload()
    return session


# A field tablet as the ``field_tablet`` fixture gives it: the tab, its problems, the session.
FieldTablet = tuple[Any, Any, int]


def signed_in_session(
    page: tuple[Any, Any], live_server: str, *, opened: bool = False, venue: str | None = None
) -> tuple[Any, Any, dict[str, Any]]:
    """The tab signed in as the operator of a new :func:`today_session`; the page not opened."""
    tab, problems = page
    data = today_session(opened=opened, venue=venue)
    signed_in(tab, live_server, data["cookie"])
    return tab, problems, data


def field_online(
    page: tuple[Any, Any], live_server: str, venue: str | None = None
) -> tuple[Any, Any, dict[str, Any]]:
    """A signed-in tablet with today's session (at 本庁舎, or a new venue doing ``venue``)
    opened online and kept for offline use."""
    tab, problems, data = signed_in_session(page, live_server, venue=venue)
    open_online(tab, data["session"])
    return tab, problems, data


def tap(tab: Any, code: str, times: int) -> None:
    """Tap a counter ``times`` times, waiting for each tap's total (from 1) on screen."""
    for n in range(1, times + 1):
        tab.get_by_test_id(f"plus-{code}").click()
        expect(total(tab, code)).to_have_text(str(n))


def unsent_taps(tab: Any, code: str, times: int) -> None:
    """Tap a counter ``times`` times with pushes refused: the taps stay in the outbox."""
    tab.route("**/api/sync/push", lambda route: route.abort("connectionrefused"))
    tap(tab, code, times)


def fill_incident(tab: Any, category: str, severity: str, description: str) -> Any:
    """Fill the incident form and press its file button; returns the form."""
    form = tab.get_by_test_id("incident-form")
    form.locator("select[name=category]").select_option(category)
    form.locator(f"input[name=severity][value={severity}]").check()
    form.locator("textarea[name=description]").fill(description)
    tab.get_by_test_id("file-incident").click()
    return form
