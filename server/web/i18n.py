"""Translation catalogs (gettext .po files read with Babel) and language choice.

Message ids are English; ``ja`` is the first and complete catalog. The .po files are read
at app start, so there is no compile step and no binary file in the repository.
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from server.settings import LANGUAGES

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANG_COOKIE = "lang"


def load_catalogs(locale_dir: Path = LOCALE_DIR) -> dict[str, Translations]:
    """Read every language's catalog.

    Args:
        locale_dir: Folder holding ``<lang>/LC_MESSAGES/messages.po``.

    Returns:
        One ``Translations`` per language in :data:`LANGUAGES`.
    """
    catalogs: dict[str, Translations] = {}
    for language in LANGUAGES:
        with (locale_dir / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
            catalog = read_po(po, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        catalogs[language] = Translations(fp=buffer)
    return catalogs


def choose_language(cookie: str | None, accept_language: str | None, default: str) -> str:
    """Pick the UI language: the toggle's cookie, else the browser's wish, else the default.

    Args:
        cookie: Value of the ``lang`` cookie, if any.
        accept_language: The ``Accept-Language`` header, if any.
        default: The configured fallback.

    Returns:
        A code from :data:`LANGUAGES`.
    """
    if cookie in LANGUAGES:
        return cookie
    if accept_language:
        wishes: list[tuple[float, int, str]] = []
        for position, part in enumerate(accept_language.split(",")):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    continue
            primary = tag.strip().lower().split("-")[0]
            if primary in LANGUAGES and quality > 0:
                wishes.append((-quality, position, primary))
        if wishes:
            return min(wishes)[2]
    return default
