"""The monthly report's workbook and PDF carry what its page and CSV show: the XLSX read
back with openpyxl (the total's sheet first, then a sheet per site; numbers are numbers),
the PDF's text with pypdf (same totals, same Japanese labels, no forms) and a Japanese
font embedded in it."""

from __future__ import annotations

import csv
import datetime as dt
import html as markup
import io
import re
import uuid
from urllib.parse import unquote

import httpx
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from server.reports.service import month_after, month_before
from server.settings import Settings
from server.sites import service as sites
from tests.support.documents import has_japanese_font, pdf_text_and_fonts
from tests.support.field import JST, count_at, open_session, window
from tests.support.identities import make_staff, sign_in

OFFICE = 1  # 本庁舎 市民課
JA = {"Accept-Language": "ja"}


class Month:
    """The reported month (last month, JST), its outreach venue and the page's HTML."""

    def __init__(self, month: dt.date, venue_id: int, venue_name: str, html: str) -> None:
        self.month, self.venue_id, self.venue_name, self.html = month, venue_id, venue_name, html


@pytest.fixture
async def reported(client: httpx.AsyncClient, settings: Settings) -> Month:
    """Last month: counts at 本庁舎 on two days and at a new venue's event, one count the
    month before; city staff signed in, the page read in Japanese."""
    month = month_before(dt.datetime.now(JST).date().replace(day=1))
    venue = await sites.add_outreach_venue(name_ja=f"報告会場 {uuid.uuid4().hex[:6]}")
    taps = (
        (OFFICE, month + dt.timedelta(days=2), "issuance_reserved", 3),
        (OFFICE, month + dt.timedelta(days=5), "pin_reset", 2),
        (OFFICE, month_before(month) + dt.timedelta(days=3), "issuance_reserved", 1),
        (venue.id, month + dt.timedelta(days=9), "applications_mail", 4),
    )
    for site, day, category, delta in taps:
        ids = await open_session(settings, site_id=site, day=day)
        await count_at(settings, ids, window(day, 10, 1)[1], category, delta)
    await sign_in(client, await make_staff("city_staff"), settings)
    page = await client.get(f"/reports/monthly?month={month:%Y-%m}", headers=JA)
    assert page.status_code == 200, page.text[:500]
    return Month(month, venue.id, venue.name_ja, page.text)


def _rows(html: str, testid: str) -> dict[str, list[str]]:
    """A table's rows by their data-category (or data-figure): its cells' text."""
    found = re.search(rf'data-testid="{testid}">(.*?)</table>', html, re.S)
    assert found, testid
    rows = re.findall(r'<tr data-(?:category|figure)="([^"]*)">(.*?)</tr>', found.group(1))
    return {key: re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", cells) for key, cells in rows}


def _site_names(html: str) -> list[str]:
    """The page's sites, in its order."""
    return [markup.unescape(n) for n in re.findall(r'<h3 id="r-site-\d+">([^<]*)</h3>', html)]


async def _download(client: httpx.AsyncClient, month: dt.date, kind: str) -> httpx.Response:
    response = await client.get(f"/reports/monthly.{kind}?month={month:%Y-%m}", headers=JA)
    assert response.status_code == 200, response.text[:500]
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment")
    assert unquote(disposition.rpartition("UTF-8''")[2]) == f"実績報告書_{month:%Y-%m}.{kind}"
    return response


async def test_the_page_links_to_every_file(reported: Month, client: httpx.AsyncClient) -> None:
    """Beside the CSV: the workbook and the PDF, for the month and site shown."""
    stamp = f"{reported.month:%Y-%m}"
    for kind in ("csv", "xlsx", "pdf"):
        assert f'href="/reports/monthly.{kind}?month={stamp}" data-testid="report-{kind}"' in (
            reported.html
        )
    one = await client.get(f"/reports/monthly?month={stamp}&site_id={OFFICE}", headers=JA)
    assert f'href="/reports/monthly.xlsx?month={stamp}&amp;site_id={OFFICE}"' in one.text


async def test_the_workbook_has_the_total_then_a_sheet_per_site(
    reported: Month, client: httpx.AsyncClient
) -> None:
    """Sheet names: 合計 then every site of the page; a bold, frozen header; count and
    figure cells are numbers equal to the page's and the CSV's."""
    response = await _download(client, reported.month, "xlsx")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["合計", *_site_names(reported.html)]
    days = (month_after(reported.month) - reported.month).days
    csv_rows = list(
        csv.reader(io.StringIO((await _download(client, reported.month, "csv")).text[1:]))
    )
    csv_by = {(r[0], r[2] or r[3]): r for r in csv_rows[1:]}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:7] == ("区分", "種別コード", "項目", "当月", "前月", "増減", "増減率（%）")
        assert rows[0][7] == reported.month.isoformat() and len(rows[0]) == 7 + days
        assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
        assert sheet.column_dimensions["C"].width >= 10  # 項目 holds long Japanese labels
        for row in rows[1:]:
            assert all(v is None or isinstance(v, int | float) for v in row[3:]), row
        items = {(row[1] or row[2]): row for row in rows[1:]}
        where = "すべての履行場所" if sheet.title == "合計" else sheet.title
        site = _site_id(reported.html, sheet.title)
        testid = "report-summary" if site is None else f"figures-site-{site}"
        figures = _rows(reported.html, testid)
        assert items["実施した業務"][3] == int(figures["sessions"][1])
        assert items["開設時間（時間）"][3] == pytest.approx(float(figures["hours"][1]), abs=0.05)
        assert items["合計"][3:5] == tuple(int(v) for v in figures["headcount"][1:3])
        counted = csv_by[(where, "合計")]
        assert list(items["合計"][3:5]) == [int(v) for v in counted[4:6]]
        assert [v or 0 for v in items["合計"][7:]] == [int(v) for v in counted[8:]]
        if site is not None:
            for code, cells in _rows(reported.html, f"categories-site-{site}").items():
                if code:
                    assert list(items[code][3:5]) == [int(v) for v in cells[1:3]], code
                    assert list(items[code][7:]) == [int(v) for v in csv_by[(where, code)][8:]]
    office = dict((row[1], row) for row in book["本庁舎 市民課"].iter_rows(values_only=True))
    reserved = office["issuance_reserved"]
    assert isinstance(reserved[3], int) and reserved[3] >= 3
    assert reserved[7 + 2] >= 3  # the third day of the month, as counted
    venue = {row[2]: row for row in book[reported.venue_name].iter_rows(values_only=True)}
    assert venue["出張申請会の実施回数"][3] == 1 and venue["出張申請会での申請受付数"][3] == 4
    per_event = _rows(reported.html, f"figures-site-{reported.venue_id}")["per-event"][1]
    assert venue["1回あたりの申請受付数"][3] == float(per_event) == 4.0


def _site_id(html: str, name: str) -> int | None:
    found = re.search(rf'<h3 id="r-site-(\d+)">{re.escape(markup.escape(name))}</h3>', html)
    return int(found.group(1)) if found else None


async def test_the_pdf_is_the_printed_page_in_a_japanese_font(
    reported: Month, client: httpx.AsyncClient
) -> None:
    """The report's text with its Japanese labels and the page's totals, each site's figures
    and counts by category in a row, the charts drawn, no chooser form and no download
    links; a Japanese font embedded."""
    response = await _download(client, reported.month, "pdf")
    assert response.headers["content-type"] == "application/pdf"
    text, fonts = pdf_text_and_fonts(response.content)
    month = f"{reported.month.year}年{reported.month.month}月"
    assert f"実績報告書 {month}" in text and "すべての履行場所" in text
    assert "本庁舎 市民課" in text and reported.venue_name in text
    summary = _rows(reported.html, "report-summary")
    assert re.search(rf"件数合計\s*{summary['headcount'][1]}\s*{summary['headcount'][2]}", text)
    for site, name in ((OFFICE, "本庁舎 市民課"), (reported.venue_id, reported.venue_name)):
        # Each site is a row of the printed digest: its figures, then its categories.
        figures = _rows(reported.html, f"figures-site-{site}")
        shown = [figures[key][1] for key in ("sessions", "hours", "staff-hours", "headcount")]
        _in_a_row(text, name, [*shown, figures["headcount"][2]])
        categories = _rows(reported.html, f"categories-site-{site}")
        _in_a_row(text, name, [cells[1] for cells in categories.values()])
    assert "日別件数" in text  # a chart's caption: the charts are in the printed page
    assert "対象月" not in text and "ダウンロード" not in text
    assert has_japanese_font(fonts), fonts


def _in_a_row(text: str, name: str, cells: list[str]) -> None:
    """``name`` followed by ``cells`` in the PDF's text, as a printed table row reads."""
    row = r"\s*".join(re.escape(value) for value in [name, *cells])
    assert re.search(row + r"\s", text), (name, cells)


async def test_a_bad_month_gives_no_file_but_the_reason(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A malformed or future month: 400 with the reason in the user's language, as the CSV."""
    await sign_in(client, await make_staff("operator"), settings)
    future = month_after(dt.datetime.now(JST).date().replace(day=1))
    for month, ja, en in (
        (
            f"{future:%Y-%m}",
            "実績報告書は今月以前の月についてのみ表示できます。",
            "A monthly report can only be shown for this month or an earlier one.",
        ),
        ("2026-13", "月を「2026-11」の形式で入力してください。", "Enter a month as YYYY-MM."),
    ):
        for kind in ("xlsx", "pdf"):
            for language, message in (("ja", ja), ("en", en)):
                response = await client.get(
                    f"/reports/monthly.{kind}?month={month}",
                    headers={"Accept-Language": language, "Accept": "text/html"},
                )
                assert response.status_code == 400, (kind, month)
                assert message in response.text
