"""Language choice and translation catalogs."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from server.web.i18n import LOCALE_DIR, choose_language, load_catalogs

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SERVER = Path(__file__).resolve().parents[2] / "server"
MESSAGE = re.compile(r"""\b(?:N_|_)\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")


def used_message_ids() -> set[str]:
    """Every literal passed to _() in templates and server code."""
    found: set[str] = set()
    for path in [*TEMPLATES.rglob("*.html"), *SERVER.rglob("*.py")]:
        for double, single in MESSAGE.findall(path.read_text(encoding="utf-8")):
            found.add(double or single)
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


def test_templates_use_messages() -> None:
    """The scan below finds the messages pages use (so the next test cannot pass empty)."""
    assert {"Sites", "Madoguchi"} <= used_message_ids()


def test_japanese_catalog_translates_every_message() -> None:
    """Every message the UI uses has a Japanese translation."""
    with (LOCALE_DIR / "ja" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    translated = {m.id for m in catalog if m.id and m.string}
    assert used_message_ids() - translated == set()


def test_catalogs_load_and_translate() -> None:
    """Loaded catalogs give Japanese text in ja and the English id in en."""
    catalogs = load_catalogs()
    assert catalogs["ja"].gettext("Sites") == "履行場所・会場"
    assert catalogs["en"].gettext("Sites") == "Sites"
