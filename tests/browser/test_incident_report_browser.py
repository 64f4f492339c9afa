"""The incident report through the browser: a deputy fills in a personal-data incident's
report and submits it; the Commission's deadlines show; city staff acknowledge it. Every
state fits a phone and a tablet with no serious axe finding."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from server import db
from server.settings import Settings
from tests.support import tablet
from tests.support.field import file_incident
from tests.support.layout import check_page

pytestmark = pytest.mark.browser


async def _personal_data_incident(settings: Settings, data: dict[str, Any]) -> str:
    db.bind_engine(db.make_engine(settings.database))
    return await file_incident(
        settings,
        data,
        category="personal_information",
        severity="critical",
        description="申請書控えを別の来庁者に渡しかけた",
        ago=dt.timedelta(days=3),
        site_id=data["site"],
    )


def test_a_report_is_written_submitted_and_acknowledged(
    page: tuple[Any, Any], live_server: str
) -> None:
    """From the incident to its report; the timeline typed a line per moment comes back
    in time order; the prompt report to the Commission is due soon."""
    tab, problems = page
    data = tablet.today_session(opened=True, venue="reception")
    uid = str(tablet.run(_personal_data_incident(Settings.from_env(), data)))
    found: list[str] = []
    tab.context.add_cookies(
        [
            {
                "name": "madoguchi_session",
                "value": tablet.login_cookie("deputy_manager"),
                "url": live_server,
            }
        ]
    )
    tab.goto(f"/incidents/{uid}")
    tab.get_by_test_id("incident-report-link").click()
    expect(tab.get_by_test_id("report-status")).to_have_text("未提出")
    expect(tab.get_by_test_id("deadline-prompt")).to_have_attribute("data-state", "near")
    found += check_page(tab, "incident-report-draft")
    tab.get_by_test_id("report-timeline").fill("10:20 控えを渡しかけた\n10:05 受付")
    tab.get_by_test_id("report-cause").fill("控えを並べて置いていた")
    tab.get_by_test_id("report-prevention").fill("控えは一件ずつ封筒で渡す")
    tab.get_by_test_id("report-leaked_items").fill("氏名、住所")
    tab.get_by_test_id("report-persons").fill("1")
    tab.get_by_test_id("report-submit").click()
    expect(tab.get_by_test_id("report-status")).to_have_text("提出済")
    shown = tab.get_by_test_id("report-timeline-shown").get_by_role("listitem")
    expect(shown).to_have_count(2)
    expect(shown.first).to_contain_text("受付")
    found += check_page(tab, "incident-report-submitted")

    tab.context.clear_cookies()
    tab.context.add_cookies(
        [
            {
                "name": "madoguchi_session",
                "value": tablet.login_cookie("city_staff"),
                "url": live_server,
            }
        ]
    )
    tab.goto(f"/incidents/{uid}/report")
    tab.get_by_test_id("report-acknowledge").click()
    expect(tab.get_by_test_id("report-status")).to_have_text("市確認済")
    expect(tab.get_by_test_id("report-step")).to_have_count(2)
    found += check_page(tab, "incident-report-acknowledged")
    assert found == []
    assert tablet.unexpected(problems) == []
