"""Files for the city, from the same figures the pages show: CSV that Excel in Japan opens
(UTF-8 with a BOM, CRLF), XLSX with real number cells, and PDF rendered from the page's
own HTML with an embedded Japanese font (WeasyPrint).

WeasyPrint and openpyxl are imported when a file is made, not with the app: most requests
never need them.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import gc
import io
import itertools
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

Row = Sequence[Any]
# Characters Excel refuses in a sheet's name, and its longest name.
_NOT_IN_TITLE = re.compile(r"[\\/?*:\[\]]")
TITLE_LENGTH = 31
STATIC = Path(__file__).resolve().parent.parent.parent / "static"
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def csv_bytes(rows: Iterable[Row]) -> bytes:
    """``rows`` as CSV: UTF-8 with a BOM and CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[Row]]]) -> bytes:
    """A workbook of ``(title, rows)`` sheets: the first row a bold, frozen header; numbers
    stay numbers; each column as wide as its longest value (full-width characters count
    twice). Titles are made ones Excel takes (:func:`sheet_titles`)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    book = Workbook()
    book.remove(book.active)
    titles = sheet_titles([title for title, _ in sheets])
    for title, (_, rows) in zip(titles, sheets, strict=True):
        sheet = book.create_sheet(title=title)
        for row in rows:
            sheet.append(list(row))
        for cell in sheet[1] if rows else ():
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(itertools.zip_longest(*rows), start=1):
            width = max(_width(value) for value in column)
            sheet.column_dimensions[get_column_letter(index)].width = min(60, width + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_titles(titles: Sequence[str]) -> list[str]:
    """``titles`` as Excel takes them: without ``\\ / ? * : [ ]``, at most 31 characters,
    none twice (a repeated one gets ``(2)``, ``(3)`` …)."""
    taken: set[str] = set()
    out = []
    for title in titles:
        base = _NOT_IN_TITLE.sub("_", title).strip() or "_"
        candidate, n = base[:TITLE_LENGTH], 1
        while candidate.casefold() in taken:
            n += 1
            suffix = f"({n})"
            candidate = base[: TITLE_LENGTH - len(suffix)] + suffix
        taken.add(candidate.casefold())
        out.append(candidate)
    return out


def _width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


async def pdf_file(html: str) -> bytes:
    """:func:`pdf_bytes` in a worker thread: rendering takes a second or two, which the
    event loop spends serving other requests."""
    return await asyncio.to_thread(pdf_bytes, html)


def pdf_bytes(html: str) -> bytes:
    """``html`` as an A4 PDF. Its styles are inline (:func:`stylesheets`): nothing is
    fetched, from the network or the disk."""
    from weasyprint import HTML  # type: ignore[import-untyped]
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    fetcher = URLFetcher(allowed_protocols=())
    try:
        pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    finally:
        # A render leaves its boxes and styles in reference cycles, which the server's
        # raised collection thresholds would keep for many renders (the ledger's PDF line).
        gc.collect()
    return pdf


def stylesheets(*names: str) -> str:
    """The text of our stylesheets ``static/css/<name>.css``, to inline in a printed page."""
    return "\n".join((STATIC / "css" / f"{name}.css").read_text(encoding="utf-8") for name in names)


def attachment(filename: str, kind: str) -> dict[str, str]:
    """Headers for a download named ``filename`` (Japanese kept, RFC 5987)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return {
        "Content-Type": MEDIA[kind],
        "Content-Disposition": (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
        ),
    }


@functools.cache
def japanese_font_missing() -> str | None:
    """Why PDFs would show boxes for Japanese text, or None when a Japanese font is there
    (asked once a process: fonts are installed before the app starts, not while it runs)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return "fontconfig (fc-list) is not installed"
    found = subprocess.run(  # noqa: S603 - fontconfig's own tool, fixed arguments
        [fc_list, ":lang=ja", "family"], capture_output=True, text=True, timeout=10, check=False
    )
    return None if found.stdout.strip() else "no Japanese font (install fonts-ipafont-gothic)"
