"""Translation catalogs (gettext .po files read with Babel), language choice, and Jinja's
i18n extension reading them, with filters that write dates the way each language reads them.

Message ids are English; ``ja`` is the first and complete catalog. The .po files are read
at app start, so there is no compile step and no binary file in the repository. Templates
translate with ``_()`` and ``{% trans %}``; ``pybabel extract -F babel.cfg`` finds every
message in the code and templates, and a test fails on one the Japanese catalog lacks.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import pass_context
from jinja2.runtime import Context
from litestar.plugins.jinja import JinjaTemplateEngine

from server.common import dates
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


@pass_context
def _gettext(context: Context, message: str) -> str:
    translated: str = context["translations"].gettext(message)
    return translated


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    translated: str = context["translations"].ngettext(singular, plural, n)
    return translated


@pass_context
def _long_date(context: Context, day: dt.date) -> str:
    return dates.long_date(day, context.get("lang", "ja"))


@pass_context
def _short_date(context: Context, day: dt.date) -> str:
    return dates.short_date(day, context.get("lang", "ja"))


@pass_context
def _moment(context: Context, moment: dt.datetime | str | None) -> str:
    return dates.long_moment(moment, context.get("lang", "ja"))


def install_i18n(engine: JinjaTemplateEngine) -> None:
    """Turn on Jinja's i18n extension, translating with the catalog of each page's
    language (the ``translations`` that :func:`server.web.pages.page` puts in its context).

    Old-style gettext: ``_()`` returns the translation and a ``{% trans %}`` block fills in
    its variables, escaped; a message with ``%(name)s`` and no variables is left as it is
    (the sync status texts are formatted by the page's script).
    """
    environment: Any = engine.engine
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(_gettext, _ngettext, newstyle=False)
    environment.filters["long_date"] = _long_date
    environment.filters["short_date"] = _short_date
    environment.filters["moment"] = _moment
