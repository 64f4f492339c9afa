"""The journal's files carry what its page shows: the CSV read back with the csv module
(BOM, CRLF), the XLSX with openpyxl (numbers are numbers), the PDF's text with pypdf (same
figures, same Japanese labels) and a Japanese font embedded in it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from urllib.parse import unquote

import httpx
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from server.settings import Settings
from tests.support.documents import has_japanese_font, pdf_text_and_fonts
from tests.support.field import JST, count_one, open_session
from tests.support.identities import make_staff, sign_in

SITE = 1
JA = {"Accept-Language": "ja"}


@pytest.fixture
async def day(client: httpx.AsyncClient, settings: Settings) -> dt.date:
    """Today at 本庁舎 with three counts, read by city staff."""
    today = dt.datetime.now(JST).date()
    ids = await open_session(settings, site_id=SITE, day=today)
    for category in ("issuance_reserved", "issuance_reserved", "pin_reset"):
        await count_one(settings, ids, category)
    await sign_in(client, await make_staff("city_staff"), settings)
    return today


async def _download(client: httpx.AsyncClient, day: dt.date, kind: str) -> httpx.Response:
    response = await client.get(
        f"/journal/download?site_id={SITE}&day={day.isoformat()}&format={kind}", headers=JA
    )
    assert response.status_code == 200, response.text[:500]
    disposition = response.headers["content-disposition"]
    assert unquote(disposition.rpartition("UTF-8''")[2]) == (
        f"業務日誌_本庁舎 市民課_{day.isoformat()}.{kind}"
    )
    return response


async def test_the_csv_is_the_counts_by_slot_for_excel(
    client: httpx.AsyncClient, day: dt.date
) -> None:
    """UTF-8 with a BOM and CRLF; the header names the categories in Japanese; the last row
    holds the totals the page shows."""
    body = (await _download(client, day, "csv")).content
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text)))
    header, totals = rows[0], rows[-1]
    assert header[0] == "時間帯" and header[-1] == "合計" and "交付（予約）" in header
    assert totals[0] == "合計" and totals[-1] == "3"
    assert (
        totals[header.index("交付（予約）")] == "2"
        and totals[header.index("暗証番号再設定")] == "1"
    )


async def test_the_workbook_has_numbers_and_a_header_row(
    client: httpx.AsyncClient, day: dt.date
) -> None:
    """Sheets for the summary, counts by slot, counts, staff and incidents; counts are
    numbers, the header row bold, the 和暦 date in the summary."""
    book = load_workbook(io.BytesIO((await _download(client, day, "xlsx")).content))
    assert book.sheetnames == ["概要", "時間帯別", "件数", "従事者", "トラブル・事故・苦情", "点検"]
    counts = {row[0]: row[1] for row in book["件数"].iter_rows(min_row=2, values_only=True)}
    assert counts["交付（予約）"] == 2 and counts["合計"] == 3
    assert isinstance(counts["暗証番号再設定"], int)
    assert book["件数"]["A1"].font.bold and book["件数"]["A1"].value == "種別"
    summary = dict(book["概要"].iter_rows(min_row=2, values_only=True))
    assert str(summary["日付"]).startswith("令和")


async def test_the_pdf_carries_the_figures_in_a_japanese_font(
    client: httpx.AsyncClient, day: dt.date
) -> None:
    """The printed page: its text has the labels and totals of the page, no forms, and the
    PDF embeds a Japanese font (so nothing prints as boxes)."""
    response = await _download(client, day, "pdf")
    assert response.headers["content-type"] == "application/pdf"
    text, fonts = pdf_text_and_fonts(response.content)
    assert "業務日誌" in text and "本庁舎 市民課" in text and "令和" in text
    assert re.search(r"交付（予約）\s*2", text) and re.search(r"合計\s*3", text)
    assert "提出する" not in text  # the page's forms are not printed
    assert has_japanese_font(fonts), fonts


async def test_an_unknown_format_or_a_future_day_gives_no_file(
    client: httpx.AsyncClient, day: dt.date
) -> None:
    """Anything but pdf, xlsx and csv is not there; a future day is refused as on the page."""
    other = await client.get(f"/journal/download?site_id={SITE}&format=docx", headers=JA)
    assert other.status_code == 404
    tomorrow = (day + dt.timedelta(days=1)).isoformat()
    future = await client.get(f"/journal/download?site_id={SITE}&day={tomorrow}", headers=JA)
    assert future.status_code == 400
    assert "業務日誌は本日以前の日付についてのみ表示できます。" in future.text
