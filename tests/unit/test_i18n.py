"""Language choice, translation catalogs, and the templates' i18n extension."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import DictLoader, Environment
from litestar.plugins.jinja import JinjaTemplateEngine

from server.web.i18n import LOCALE_DIR, choose_language, install_i18n, load_catalogs

ROOT = Path(__file__).resolve().parents[2]
# Babel's reader of babel.cfg, as pybabel uses it (the function has no annotations).
read_mapping = cast(Callable[[IO[str]], tuple[list[Any], dict[str, Any]]], parse_mapping_cfg)


def used_message_ids() -> set[str]:
    """Every message ``pybabel extract -F babel.cfg`` finds in the code and templates."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = read_mapping(config)
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map
    ):
        found.update([message] if isinstance(message, str) else message)
    return found


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, None, "ja"),
        ("en", "ja", "en"),
        ("xx", "en-US,en;q=0.9", "en"),
        (None, "fr-FR, en;q=0.5, ja;q=0.8", "ja"),
        (None, "fr-FR, de;q=0.5", "ja"),
        (None, "en;q=0", "ja"),
        (None, "en;q=nonsense, ja", "ja"),
    ],
)
def test_language_choice(cookie: str | None, header: str | None, expected: str) -> None:
    """The toggle's cookie wins, then Accept-Language by quality, then Japanese."""
    assert choose_language(cookie, header, "ja") == expected


def test_extraction_finds_the_messages() -> None:
    """The extraction below finds the messages of code and templates alike (so the next
    test cannot pass empty): a ``{% trans %}`` block's, a template's ``_()``, a ``N_()``."""
    found = used_message_ids()
    assert {"Sites", "Madoguchi", "Showing the oldest %(shown)s of %(total)s."} <= found
    assert "Choose the kind of venue." in found


def test_japanese_catalog_translates_every_message() -> None:
    """Every message the UI uses has a Japanese translation."""
    with (LOCALE_DIR / "ja" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    translated = {m.id for m in catalog if m.id and m.string}
    assert sorted(used_message_ids() - translated) == []


def test_catalogs_load_and_translate() -> None:
    """Loaded catalogs give Japanese text in ja and the English id in en."""
    catalogs = load_catalogs()
    assert catalogs["ja"].gettext("Sites") == "履行場所・会場"
    assert catalogs["en"].gettext("Sites") == "Sites"


def test_templates_translate_with_the_page_catalog() -> None:
    """``_()`` and ``{% trans %}`` read the catalog the page passes, variables escaped."""
    source = (
        '{{ _("Sites") }}|{% trans shown=a, total=b %}'
        "Showing the oldest {{ shown }} of {{ total }}.{% endtrans %}"
    )
    environment = Environment(loader=DictLoader({"t.html": source}), autoescape=True)
    engine = JinjaTemplateEngine(engine_instance=environment)
    install_i18n(engine)
    template = engine.get_template("t.html")
    catalogs = load_catalogs()
    ja = template.render(translations=catalogs["ja"], a="<b>", b=3)
    assert ja.startswith("履行場所・会場|") and "&lt;b&gt;" in ja and "<b>" not in ja
    en = template.render(translations=catalogs["en"], a=2, b=3)
    assert en == "Sites|Showing the oldest 2 of 3."
