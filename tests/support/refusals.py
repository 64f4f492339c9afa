"""Changes the server refuses, set up for the tablet's browser tests: the office changes
something under a tablet that is offline, so the tablet's change is refused once online."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playwright.sync_api import expect

from server import db
from server.common.clock import JST
from server.incidents.ops import Severity
from server.settings import Settings
from server.sync import ops
from tests import dbutil
from tests.support.browser import PageProblems
from tests.support.field import apply
from tests.support.layout import shot
from tests.support.tablet import (
    field_online,
    filed_incident,
    ready_for_offline,
    run,
    signed_in,
    today_session,
    total,
)

PREVENTION_REQUIRED = "重大度が「高」「重大」の記録は、再発防止策を入力しないと完了にできません。"
# Every op this tablet made and the server acknowledged or still waits for.
ALL_OPS = """async () => {
  const { getAll } = await import('/static/js/idb.js');
  return [...await getAll('sent'), ...await getAll('outbox')];
}"""
SIZES = {"phone": (390, 844), "tablet": (1024, 768)}


def shots(tab: Any, name: str) -> None:
    """Screenshots at phone and tablet sizes, for a reviewer."""
    before = tab.viewport_size
    for size, (width, height) in SIZES.items():
        tab.set_viewport_size({"width": width, "height": height})
        shot(tab, f"tablet-{name}-{size}")
    if before:
        tab.set_viewport_size(before)


async def _close_session(settings: Settings, session: int, operator: int) -> None:
    db.bind_engine(db.make_engine(settings.database))
    close = ops.CloseWorkSession(work_session_id=session, at=dt.datetime.now(JST))
    await apply(ops.WorkSessionClose(payload=close), operator, "operator", settings)


async def _raise_severity(settings: Settings, uid: str, staff_id: int) -> None:
    db.bind_engine(db.make_engine(settings.database))
    update = ops.UpdateIncident(uid=uid, severity="high")
    await apply(ops.IncidentUpdate(base_version=1, payload=update), staff_id, "operator", settings)


def raise_severity(uid: str, staff_id: int) -> None:
    """The office sets the incident's severity to high (version 1 → 2)."""
    run(_raise_severity(Settings.from_env(), uid, staff_id))


def incident_page(tab: Any, live_server: str, severity: Severity) -> tuple[dict[str, Any], str]:
    """A signed-in tablet on an incident's page (filed with ``severity``), kept offline."""
    data = today_session()
    uid = filed_incident(data, severity)
    signed_in(tab, live_server, data["cookie"])
    tab.goto(f"/field/sessions/{data['session']}")
    expect(tab.get_by_test_id("incident-link")).to_have_count(1)
    ready_for_offline(tab)
    tab.get_by_test_id("incident-link").click()
    tab.wait_for_url(f"**/incidents/{uid}")
    ready_for_offline(tab)
    return data, uid


def tap_then_session_closed(
    page: tuple[Any, PageProblems], live_server: str
) -> tuple[Any, PageProblems, dict[str, Any]]:
    """The field page of an open session; a tap made offline, then the office closes the
    session (the tap will be refused when the tablet is back online)."""
    tab, problems, data = field_online(page, live_server)
    tab.context.set_offline(True)
    tab.get_by_test_id("plus-issuance_reserved").click()
    expect(total(tab, "issuance_reserved")).to_have_text("1")
    run(_close_session(Settings.from_env(), data["session"], data["operator"]))
    return tab, problems, data


def incident_version(database_url: str, uid: str) -> tuple[object, ...]:
    """The incident's status, severity and version in the database."""
    return dbutil.fetch(
        database_url, f"SELECT status, severity, version FROM incident WHERE uid = '{uid}'"
    )[0]
