"""The daily journal (業務日誌) is compiled from the records: its figures are the sums of the
stored increments, its people and incidents those of the site's day in Japan time."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx

from server.settings import Settings
from tests import dbutil
from tests.support.field import JST, count_at, file_incident, open_session, window
from tests.support.identities import make_staff, sign_in

SITE = 1  # 本庁舎 市民課
OTHER_SITE = 2


def _yesterday() -> dt.date:
    return dt.datetime.now(JST).date() - dt.timedelta(days=1)


async def _tap(
    settings: Settings, ids: dict[str, int], day: dt.date, hour: int, category: str, delta: int
) -> None:
    """A count by the session's operator in the slot starting at ``hour``:00 JST."""
    await count_at(settings, ids, window(day, hour, 1)[1], category, delta)


async def _incident(
    settings: Settings, ids: dict[str, int], site: int, at: dt.datetime, category: str
) -> str:
    return await file_incident(
        settings,
        ids,
        category=category,  # type: ignore[arg-type]
        severity="medium",
        description=f"{category} の記録",
        at=at,
        site_id=site,
        in_session=False,
    )


def _cell(html: str, code: str) -> int:
    found = re.search(
        rf'<tr data-category="{code}"><th scope="row">[^<]*</th><td class="num">(\d+)</td>', html
    )
    assert found, code
    return int(found.group(1))


def _section(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">(.*?)</(?:ul|table)>', html, re.S)
    assert found, testid
    return found.group(1)


async def test_the_journal_is_the_sum_of_the_days_records(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Two sessions at the site, counts across slots with a correction, incidents of each
    kind: every figure equals the sum of the stored rows; another site's day and the next
    day (from 0:00 JST) stay out; an incident at 23:59 JST is in."""
    day = _yesterday()
    morning = await open_session(settings, site_id=SITE, day=day, start_hour=9)
    afternoon = await open_session(settings, site_id=SITE, day=day, start_hour=13)
    elsewhere = await open_session(settings, site_id=OTHER_SITE, day=day, start_hour=9)
    taps: list[tuple[dict[str, int], int, str, int]] = [
        (morning, 9, "issuance_reserved", 1),
        (morning, 9, "issuance_reserved", 1),
        (morning, 10, "issuance_walkin", 1),
        (morning, 10, "issuance_reserved", -1),
        (afternoon, 13, "pin_reset", 1),
        (afternoon, 14, "issuance_reserved", 1),
        (elsewhere, 9, "issuance_reserved", 1),
    ]
    for ids, hour, category, delta in taps:
        await _tap(settings, ids, day, hour, category, delta)
    late = dt.datetime.combine(day, dt.time(23, 59), JST)
    await _incident(settings, morning, SITE, late, "system_failure")
    await _incident(settings, morning, SITE, late - dt.timedelta(hours=5), "complaint")
    await _incident(settings, morning, SITE, late - dt.timedelta(hours=6), "lost_property")
    next_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), JST)
    await _incident(settings, morning, SITE, next_day, "system_failure")
    await _incident(settings, elsewhere, OTHER_SITE, late, "complaint")

    await sign_in(client, await make_staff("city_staff"), settings)
    response = await client.get(
        f"/journal?site_id={SITE}&day={day.isoformat()}", headers={"Accept-Language": "ja"}
    )
    assert response.status_code == 200
    html = response.text
    sessions = f"{morning['session']}, {afternoon['session']}"
    stored: dict[Any, Any] = dict(
        dbutil.fetch(
            database_url,
            "SELECT category, SUM(delta) FROM headcount "
            f"WHERE work_session IN ({sessions}) GROUP BY category",
        )
    )
    assert stored == {"issuance_reserved": 2, "issuance_walkin": 1, "pin_reset": 1}
    for code, total in stored.items():
        assert _cell(html, code) == total
    assert _cell(html, "phone") == 0
    total = re.search(r'data-testid="journal-total">(\d+)<', html)
    assert total and int(total.group(1)) == sum(stored.values())
    slots = _section(html, "journal-slots")
    assert re.search(r"<th scope=\"row\">09:00</th>(?:<td class=\"num\">\d+</td>)*", slots)
    nine = re.search(r'<th scope="row">09:00</th>((?:<td class="num">\d+</td>)+)', slots)
    assert nine and re.findall(r"\d+", nine.group(1))[-1] == "2"  # the slot's total

    staff = _section(html, "journal-staff")
    people = dbutil.fetch(
        database_url,
        "SELECT display_name FROM staff WHERE id IN "
        f"({morning['operator']}, {afternoon['operator']}, {morning['in_charge']})",
    )
    assert all(str(name) in staff for (name,) in people)
    assert (
        str(
            dbutil.fetch(
                database_url, f"SELECT display_name FROM staff WHERE id = {elsewhere['operator']}"
            )[0][0]
        )
        not in staff
    )
    assert "責任者" in staff and "6:00" in staff  # in charge; six hours a session

    faults = _section(html, "journal-faults")
    assert "23:59" in faults and "システム障害" in faults and "00:00" not in faults
    assert "18:59" in _section(html, "journal-complaints")
    assert "17:59" in _section(html, "journal-incidents")
    assert f"{day.month}月{day.day}日" in re.search(
        r'data-testid="journal-date">(.*?)</p>', html, re.S
    ).group(1)  # type: ignore[union-attr]
    assert "令和" in html


async def test_a_bad_day_is_refused_in_the_users_language(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A future day or a malformed one: 400 with the reason beside the date, no journal;
    an unknown site: the not-found page; any role may read a journal."""
    await sign_in(client, await make_staff("operator"), settings)
    tomorrow = dt.datetime.now(JST).date() + dt.timedelta(days=1)
    for day, message in (
        (tomorrow.isoformat(), "業務日誌は本日以前の日付についてのみ表示できます。"),
        ("2026-13-01", "日付を「2026-12-03」の形式で入力してください。"),
    ):
        response = await client.get(
            f"/journal?site_id={SITE}&day={day}", headers={"Accept-Language": "ja"}
        )
        assert response.status_code == 400
        assert message in response.text
        assert 'data-testid="journal"' not in response.text
    english = await client.get(
        f"/journal?site_id={SITE}&day={tomorrow.isoformat()}", headers={"Accept-Language": "en"}
    )
    assert "A journal can only be shown for today or an earlier day." in english.text
    missing = await client.get("/journal?site_id=999999", headers={"Accept-Language": "ja"})
    assert missing.status_code == 404
    assert "該当する履行場所がありません。" in missing.text
    today = await client.get("/journal")
    assert today.status_code == 200 and 'data-testid="journal"' in today.text
