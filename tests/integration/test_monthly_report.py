"""The monthly performance report (実績報告書) is compiled from the records: its figures are
the sums of the stored increments of the sessions dated in the month (JST), compared with
the previous month's, on the page and in the CSV file alike."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from typing import Any
from urllib.parse import unquote

import httpx

from server.reports.service import month_after, month_before
from server.settings import Settings
from server.sites import service as sites
from server.sync import ops
from tests import dbutil
from tests.support.field import (
    JST,
    apply,
    count_at,
    file_incident,
    open_session,
    plan_session,
    window,
)
from tests.support.identities import make_staff, sign_in

OFFICE = 1  # 本庁舎 市民課
OTHER = 2


def _months() -> tuple[dt.date, dt.date, dt.date]:
    """Last month (the one reported), the month before it, and this month (JST)."""
    this_month = dt.datetime.now(JST).date().replace(day=1)
    month = month_before(this_month)
    return month, month_before(month), this_month


async def _tap(
    settings: Settings, ids: dict[str, int], day: dt.date, hour: int, category: str, delta: int
) -> None:
    """A count by the session's operator in the slot starting at ``hour``:00 JST."""
    await count_at(settings, ids, window(day, hour, 1)[1], category, delta)


async def _incident(
    settings: Settings, ids: dict[str, int], site: int, at: dt.datetime, prevention: str = ""
) -> None:
    uid = await file_incident(
        settings,
        ids,
        category="system_failure",
        severity="high",
        description="端末が起動しない",
        at=at,
        site_id=site,
        in_session=False,
    )
    if prevention:
        await apply(
            ops.IncidentUpdate(
                base_version=1,
                payload=ops.UpdateIncident(uid=uid, recurrence_prevention=prevention),
            ),
            ids["in_charge"],
            "business_manager",
            settings,
        )


def _moment(value: Any) -> dt.datetime:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _increments(url: str, start: dt.date, until: dt.date) -> list[tuple[int, str, dt.date, int]]:
    """Every stored increment of the sessions dated in the range: (site, category, its
    slot's JST day, delta)."""
    rows = dbutil.fetch(
        url,
        "SELECT ws.site, h.category, h.slot_start, h.delta FROM headcount h "
        "JOIN work_session ws ON ws.id = h.work_session "
        f"WHERE ws.work_date >= '{start.isoformat()}' AND ws.work_date < '{until.isoformat()}'",
    )
    return [
        (int(site), str(code), _moment(slot).astimezone(JST).date(), int(delta))
        for site, code, slot, delta in rows
    ]


def _stored(url: str, start: dt.date, until: dt.date) -> dict[tuple[int, str], int]:
    """Sums of the stored increments per (site, category) of sessions dated in the range."""
    sums: dict[tuple[int, str], int] = {}
    for site, code, _, delta in _increments(url, start, until):
        sums[(site, code)] = sums.get((site, code), 0) + delta
    return sums


def _rows(html: str, testid: str) -> dict[str, list[str]]:
    """A table's rows by their data-category (or data-figure / data-day): its cells' text."""
    found = re.search(rf'data-testid="{testid}">(.*?)</table>', html, re.S)
    assert found, testid
    rows = re.findall(r'<tr data-(?:category|figure|day|kind)="([^"]*)">(.*?)</tr>', found.group(1))
    return {key: re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", cells) for key, cells in rows}


async def test_the_report_is_the_sum_of_the_months_records(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Sessions on the month's last evening (a count at 23:00–24:00 JST) and on the next
    month's first day, a venue's event, last month's counts: every figure is the stored
    sum; the next month's 1st stays out; the previous month is compared; the CSV says the
    same as the page."""
    month, previous, following = _months()
    last = month_after(month) - dt.timedelta(days=1)
    venue = await sites.add_outreach_venue(name_ja=f"報告会場 {uuid.uuid4().hex[:6]}")
    late = await open_session(settings, site_id=OFFICE, day=last, start_hour=18)
    first_next = await open_session(settings, site_id=OFFICE, day=following, start_hour=9)
    earlier = await open_session(settings, site_id=OFFICE, day=previous + dt.timedelta(days=14))
    event = await open_session(settings, site_id=venue.id, day=month + dt.timedelta(days=9))
    manager = await make_staff("overall_manager")
    await plan_session(settings, site_id=OTHER, manager_id=manager, day=month)  # never held
    await plan_session(settings, site_id=venue.id, manager_id=manager, day=following)
    taps: list[tuple[dict[str, int], dt.date, int, str, int]] = [
        (late, last, 23, "issuance_reserved", 2),
        (late, last, 23, "issuance_reserved", -1),
        (late, last, 18, "pin_reset", 1),
        (first_next, following, 9, "issuance_reserved", 5),
        (earlier, previous + dt.timedelta(days=14), 10, "issuance_reserved", 4),
        (event, month + dt.timedelta(days=9), 10, "applications_mail", 3),
        (event, month + dt.timedelta(days=9), 11, "applications_collect", 2),
        (event, month + dt.timedelta(days=9), 11, "visitors", 10),
    ]
    for ids, day, hour, category, delta in taps:
        await _tap(settings, ids, day, hour, category, delta)
    _, event_start, _ = window(month + dt.timedelta(days=9))
    await apply(
        ops.WorkSessionClose(
            payload=ops.CloseWorkSession(
                work_session_id=event["session"], at=event_start + dt.timedelta(hours=5)
            )
        ),
        event["operator"],
        "operator",
        settings,
    )
    await _incident(
        settings, late, OFFICE, dt.datetime.combine(last, dt.time(23, 59), JST), "毎朝点検する"
    )
    await _incident(settings, first_next, OFFICE, dt.datetime.combine(following, dt.time(), JST))

    await sign_in(client, await make_staff("city_staff"), settings)
    response = await client.get(
        f"/reports/monthly?month={month:%Y-%m}", headers={"Accept-Language": "ja"}
    )
    assert response.status_code == 200, response.text
    html = response.text
    now = _stored(database_url, month, following)
    before = _stored(database_url, previous, month)
    assert now[(OFFICE, "issuance_reserved")] >= 1  # the 1st's 5 are not the month's
    office = _rows(html, f"categories-site-{OFFICE}")
    for (site, code), n in now.items():
        rows = _rows(html, f"categories-site-{site}")
        assert rows[code][1:3] == [str(n), str(before.get((site, code), 0))], (site, code)
    office_now = sum(n for (site, _), n in now.items() if site == OFFICE)
    office_before = sum(n for (site, _), n in before.items() if site == OFFICE)
    assert office[""][1:3] == [str(office_now), str(office_before)]
    reserved = office["issuance_reserved"]
    n, m = now[(OFFICE, "issuance_reserved")], before[(OFFICE, "issuance_reserved")]
    assert reserved[3] == f"{n - m:+d}"
    assert reserved[4] == f"{(n - m) * 100 / m:+.1f}%"
    days = _rows(html, f"days-site-{OFFICE}")
    on_last = sum(
        d
        for site, _, day, d in _increments(database_url, month, following)
        if site == OFFICE and day == last
    )
    assert days[last.isoformat()][-1] == str(on_last)
    assert following.isoformat() not in days
    summary = _rows(html, "report-summary")
    assert summary["headcount"][1:3] == [str(sum(now.values())), str(sum(before.values()))]

    figures = _rows(html, f"figures-site-{venue.id}")
    assert figures["sessions"][1] == "1" and figures["events"][1] == "1"
    assert figures["hours"][1] == "5.0" and figures["staff-hours"][1] == "10.0"
    assert figures["applications"][1] == "5"
    assert figures["per-event"][1] == "5.0" and figures["per-hour"][1] == "1.0"
    other = _rows(html, f"figures-site-{OTHER}")
    assert other["sessions"][1] == str(_held(database_url, OTHER, month, following))

    incidents = _rows(html, "report-incident-counts")
    assert incidents["system_failure"][3] == str(_incidents(database_url, month, following))
    assert "毎朝点検する" in html
    planned = re.search(r'data-testid="report-planned">(.*?)</ul>', html, re.S)
    assert planned and venue.name_ja in planned.group(1)

    exported = await client.get(f"/reports/monthly.csv?month={month:%Y-%m}")
    assert exported.status_code == 200
    assert exported.content.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in exported.content and exported.content.count(b"\n") == exported.content.count(
        b"\r\n"
    )
    disposition = exported.headers["content-disposition"]
    assert disposition.startswith("attachment")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"実績報告書_{month:%Y-%m}.csv"
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"), newline="")))
    header = table[0]
    assert header[:8] == [
        "履行場所",
        "区分",
        "種別コード",
        "種別",
        "当月",
        "前月",
        "増減",
        "増減率（%）",
    ]
    assert header[8] == month.isoformat() and header[-1] == last.isoformat()
    by_key: dict[tuple[str, str], list[str]] = {(r[0], r[2]): r for r in table[1:]}
    names = {OFFICE: "本庁舎 市民課", venue.id: venue.name_ja}
    for (site, code), n in now.items():
        if site in names:
            row = by_key[(names[site], code)]
            assert row[4:6] == [str(n), str(before.get((site, code), 0))]
            assert sum(int(v) for v in row[8:]) == n
    office_row = by_key[(names[OFFICE], "issuance_reserved")]
    assert office_row[8 + last.day - 1] == days[last.isoformat()][_column(html, OFFICE)]
    everything = [r for r in table[1:] if (r[0], r[1], r[3]) == ("すべての履行場所", "", "合計")]
    assert everything and everything[0][4] == str(sum(now.values()))


def _column(html: str, site: int) -> int:
    """The position of issuance_reserved among the site's day table's cells."""
    found = re.search(rf'data-testid="days-site-{site}">(.*?)</thead>', html, re.S)
    assert found
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", found.group(1))
    return headers.index("交付（予約）")


def _held(url: str, site: int, start: dt.date, until: dt.date) -> int:
    rows = dbutil.fetch(
        url,
        f"SELECT COUNT(*) FROM work_session WHERE site = {site} AND status <> 'planned' "
        f"AND work_date >= '{start.isoformat()}' AND work_date < '{until.isoformat()}'",
    )
    return int(rows[0][0])


def _incidents(url: str, start: dt.date, until: dt.date) -> int:
    """Incidents of kind system failure, severity high, that occurred in the range (JST)."""
    rows: list[Any] = dbutil.fetch(
        url,
        "SELECT occurred_at FROM incident WHERE category = 'system_failure' AND severity = 'high'",
    )
    return sum(1 for (at,) in rows if start <= _moment(at).astimezone(JST).date() < until)


async def test_a_bad_month_is_refused_in_the_users_language(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A malformed or future month: 400 with the reason beside the field and no report,
    in Japanese or English; the CSV refuses them too; any role may read the report."""
    await sign_in(client, await make_staff("operator"), settings)
    _, _, this_month = _months()
    future = month_after(this_month).strftime("%Y-%m")
    for month, ja, en in (
        (
            future,
            "実績報告書は今月以前の月についてのみ表示できます。",
            "A monthly report can only be shown for this month or an earlier one.",
        ),
        ("2026-13", "月を「2026-11」の形式で入力してください。", "Enter a month as YYYY-MM."),
        ("november", "月を「2026-11」の形式で入力してください。", "Enter a month as YYYY-MM."),
    ):
        for language, message in (("ja", ja), ("en", en)):
            response = await client.get(
                f"/reports/monthly?month={month}", headers={"Accept-Language": language}
            )
            assert response.status_code == 400
            assert message in response.text
            assert 'data-testid="error-month"' in response.text
            assert 'data-testid="report"' not in response.text
            exported = await client.get(
                f"/reports/monthly.csv?month={month}",
                headers={"Accept-Language": language, "Accept": "text/html"},
            )
            assert exported.status_code == 400
            assert message in exported.text
    missing = await client.get("/reports/monthly?site_id=999999", headers={"Accept-Language": "ja"})
    assert missing.status_code == 404
    default = await client.get("/reports/monthly")
    assert default.status_code == 200 and 'data-testid="report"' in default.text
    one_site = await client.get(f"/reports/monthly?month={this_month:%Y-%m}&site_id={OFFICE}")
    assert (
        one_site.status_code == 200 and f'data-testid="categories-site-{OFFICE}"' in one_site.text
    )
