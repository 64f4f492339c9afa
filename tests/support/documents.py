"""Reading back the PDFs the app makes: their text, and the fonts they embed."""

from __future__ import annotations

import io

import pypdf


def pdf_text_and_fonts(body: bytes) -> tuple[str, set[str]]:
    """The text of every page, and the base names of the fonts the pages use."""
    reader = pypdf.PdfReader(io.BytesIO(body))
    text = "".join(page.extract_text() for page in reader.pages)
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[index]
    }
    return text, fonts


def has_japanese_font(fonts: set[str]) -> bool:
    """Whether one of ``fonts`` is a Japanese one we install (IPA) or Noto CJK."""
    return any("IPA" in name or "CJK" in name for name in fonts)
