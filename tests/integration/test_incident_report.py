"""The incident report (事故・トラブル報告書, issue 19): drafted from the incident, submitted
by a manager, returned and acknowledged by the city, revised only with a reason; refused
input explained in Japanese with nothing stored; the Commission's deadlines for a
personal-data incident; and its files carrying what the page shows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import httpx
from openpyxl import load_workbook  # type: ignore[import-untyped]

from server.incidents.ops import IncidentCategory
from server.journal.report_schemas import ReportContent, deadlines
from server.settings import Settings
from tests import dbutil
from tests.support.documents import has_japanese_font, pdf_text_and_fonts
from tests.support.field import JST, file_incident, open_session
from tests.support.identities import make_staff, sign_in

MY_NUMBER = "123456789018"  # a valid check digit: the guard refuses it
FORM = {
    "base_version": "0",
    "summary": "申請書控えを別の来庁者に渡しかけ、その場で回収した。",
    "timeline": "10:20 控えを取り違えて渡しかけた\n10:05 受付\n10:22 回収し本人に謝罪",
    "response": "ご本人に経緯を説明し謝罪した。",
    "cause": "控えを並べて置いていたため。",
    "prevention": "控えは一件ずつ封筒に入れて渡す。",
    "follow_up": "翌朝の朝礼で全員に周知した。",
}


async def _incident(settings: Settings, category: IncidentCategory = "complaint", **kw: Any) -> str:
    ids = await open_session(settings, site_id=1)
    return await file_incident(
        settings, ids, category=category, severity="high", description="控えの取り違え", **kw
    )


def _stored(url: str, uid: str) -> list[tuple[Any, ...]]:
    return dbutil.fetch(
        url,
        "SELECT r.version, r.status FROM incident_report r JOIN incident i ON i.id = r.incident "
        f"WHERE i.uid = '{uid}'",
    )


async def test_submit_return_revise_acknowledge(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """The page starts from the incident's record; each step follows the journal's rules
    and the history keeps every submitted version readable."""
    uid = await _incident(settings)
    manager, city = await make_staff("business_manager"), await make_staff("city_staff")
    await sign_in(client, manager, settings)
    page = await client.get(f"/incidents/{uid}/report")
    assert page.status_code == 200
    assert "トラブル記録から作成した下書き" in page.text and "控えの取り違え" in page.text
    sent = await client.post(f"/incidents/{uid}/report/submit", data=FORM)
    assert sent.status_code == 303, sent.text
    text = (await client.get(f"/incidents/{uid}/report")).text
    assert text.index("受付") < text.index("控えを取り違えて渡しかけた")  # in time order
    assert _stored(database_url, uid) == [(1, "submitted")]

    await sign_in(client, city, settings)
    returned = await client.post(f"/incidents/{uid}/report/return", data={"version": "1"})
    assert returned.status_code == 422  # a return says what to change
    assert "変更してほしい点" in returned.text or "入力してください" in returned.text
    comment = {"version": "1", "comment": "原因をもう少し具体的に。"}
    assert (await client.post(f"/incidents/{uid}/report/return", data=comment)).status_code == 303

    await sign_in(client, manager, settings)
    revised = {**FORM, "base_version": "1", "cause": "控えを同じ台に並べていたため。"}
    refused = await client.post(f"/incidents/{uid}/report/submit", data=revised)
    assert refused.status_code == 422
    assert "提出済みの報告書を修正する理由を入力してください。" in refused.text
    assert _stored(database_url, uid) == [(1, "returned")]
    revised["reason"] = "市の指摘により原因を具体化"
    assert (await client.post(f"/incidents/{uid}/report/submit", data=revised)).status_code == 303

    await sign_in(client, city, settings)
    done = await client.post(f"/incidents/{uid}/report/acknowledge", data={"version": "2"})
    assert done.status_code == 303
    text = (await client.get(f"/incidents/{uid}/report")).text
    assert text.count('data-testid="report-step"') == 4
    assert "控えを並べて置いていたため。" in text  # version 1, as submitted
    assert "市の指摘により原因を具体化" in text and "原因をもう少し具体的に。" in text
    assert _stored(database_url, uid) == [(2, "acknowledged")]


async def test_who_may_do_what(client: httpx.AsyncClient, settings: Settings) -> None:
    """Operators and city staff cannot submit; a manager cannot acknowledge."""
    uid = await _incident(settings)
    for role in ("operator", "city_staff"):
        await sign_in(client, await make_staff(role), settings)
        sent = await client.post(f"/incidents/{uid}/report/submit", data=FORM)
        assert sent.status_code == 403, role
    await sign_in(client, await make_staff("business_manager"), settings)
    assert (await client.post(f"/incidents/{uid}/report/submit", data=FORM)).status_code == 303
    ack = await client.post(f"/incidents/{uid}/report/acknowledge", data={"version": "1"})
    assert ack.status_code == 403


async def test_bad_input_is_explained_and_nothing_is_kept(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A timeline line without a time, a count below zero and a My Number anywhere (a
    timeline line too) are each refused with the form kept; no report is stored."""
    uid = await _incident(settings, category="personal_information")
    await sign_in(client, await make_staff("deputy_manager"), settings)
    cases = {
        "timeline": ({"timeline": "受付の後に渡しかけた"}, "経緯は各行を時刻"),
        "persons": ({"persons": "-1"}, "人数は0以上の整数で入力してください。"),
        "cause": ({"cause": f"番号 {MY_NUMBER} の控え"}, "マイナンバー"),
        "timeline-number": ({"timeline": f"10:00 番号{MY_NUMBER}を確認"}, "マイナンバー"),
        "summary": ({"summary": " "}, "概要を入力してください。"),
    }
    for name, (change, said) in cases.items():
        refused = await client.post(f"/incidents/{uid}/report/submit", data={**FORM, **change})
        assert refused.status_code in (400, 422), name
        assert said in refused.text, name
    assert _stored(database_url, uid) == []
    await client.post("/lang", data={"lang": "en", "next": "/"})
    refused = await client.post(
        f"/incidents/{uid}/report/submit", data={**FORM, "timeline": "no time here"}
    )
    assert "Start each line of the timeline with a time" in refused.text


async def test_personal_data_deadlines_are_flagged(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Discovered 28 days ago: the prompt report is overdue and the full one due in two
    days; once both are reported, neither is flagged."""
    uid = await _incident(settings, category="personal_information", ago=dt.timedelta(days=28))
    await sign_in(client, await make_staff("business_manager"), settings)
    page = (await client.get(f"/incidents/{uid}/report")).text
    assert 'data-testid="deadline-prompt" data-state="overdue"' in page
    assert 'data-testid="deadline-final" data-state="near"' in page
    today = dt.datetime.now(JST).date()
    filled = {
        **FORM,
        "leaked_items": "氏名、住所",
        "persons": "1",
        "secondary_harm": "none",
        "publication": "not_published",
        "prompt_reported_on": (today - dt.timedelta(days=25)).isoformat(),
        "final_reported_on": today.isoformat(),
    }
    assert (await client.post(f"/incidents/{uid}/report/submit", data=filled)).status_code == 303
    page = (await client.get(f"/incidents/{uid}/report")).text
    assert page.count('data-state="done"') == 2
    assert "漏えい等した項目" in page and "氏名、住所" in page


def test_deadline_boundaries() -> None:
    """5 days for the prompt report, 30 (60 when malicious) for the full one, from the
    discovery; near at 2 and 7 days left, overdue the day after."""
    found = dt.date(2026, 11, 1)
    content = ReportContent(discovered_on=found)

    def states(today: dt.date, **more: Any) -> list[tuple[str, str, dt.date]]:
        listed = deadlines(
            "personal_information", found, ReportContent(discovered_on=found, **more), today
        )
        return [(d.kind, d.state, d.due) for d in listed]

    assert states(dt.date(2026, 11, 3)) == [
        ("prompt", "due", dt.date(2026, 11, 6)),
        ("final", "due", dt.date(2026, 12, 1)),
    ]
    assert states(dt.date(2026, 11, 4))[0][1] == "near"
    assert states(dt.date(2026, 11, 6))[0][1] == "near"
    assert states(dt.date(2026, 11, 7))[0][1] == "overdue"
    assert states(dt.date(2026, 11, 23))[1][1] == "due"
    assert states(dt.date(2026, 11, 24))[1][1] == "near"
    assert states(dt.date(2026, 12, 2))[1][1] == "overdue"
    assert states(dt.date(2026, 12, 2), malicious=True)[1] == (
        "final",
        "due",
        dt.date(2026, 12, 31),
    )
    assert deadlines("complaint", found, content, found) == []


async def test_files_carry_what_the_page_shows(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """CSV (BOM), XLSX and PDF (Japanese font embedded) hold the same items and labels."""
    uid = await _incident(settings)
    await sign_in(client, await make_staff("business_manager"), settings)
    await client.post(f"/incidents/{uid}/report/submit", data=FORM)
    got = {}
    for kind in ("csv", "xlsx", "pdf"):
        response = await client.get(f"/incidents/{uid}/report/download?format={kind}")
        assert response.status_code == 200, kind
        got[kind] = response.content
    assert got["csv"].startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(got["csv"].decode("utf-8-sig"))))
    items = {row[0]: row[1] for row in rows[1:]}
    assert items["概要"] == FORM["summary"] and items["原因"] == FORM["cause"]
    book = load_workbook(io.BytesIO(got["xlsx"]))
    assert book.sheetnames == ["事故・トラブル報告書", "経緯"]
    times = [row[0][-5:] for row in book["経緯"].iter_rows(min_row=2, values_only=True)]
    assert times == ["10:05", "10:20", "10:22"]
    text, fonts = pdf_text_and_fonts(got["pdf"])
    assert has_japanese_font(fonts)
    for words in ("事故・トラブル報告書", "再発防止策", "控えは一件ずつ封筒に入れて渡す。"):
        assert words in text.replace("\n", ""), words
