"""One word for each thing: the Japanese catalog calls a work session 「業務」 everywhere, as
the glossary at the top of the catalog says, and never by the long name it replaced."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from server.web.i18n import LOCALE_DIR

CATALOG = LOCALE_DIR / "ja" / "LC_MESSAGES" / "messages.po"


def _messages() -> list[tuple[str, str]]:
    with CATALOG.open("rb") as po:
        return [(str(m.id), str(m.string)) for m in read_po(po) if m.id and m.string]


def test_a_work_session_is_called_gyomu_everywhere() -> None:
    """Every message about a work session says 業務; none uses 窓口開設・出張申請会."""
    messages = _messages()
    about_sessions = [
        (msgid, msgstr) for msgid, msgstr in messages if re.search(r"work session", msgid, re.I)
    ]
    assert len(about_sessions) >= 20
    assert [pair for pair in about_sessions if "業務" not in pair[1]] == []
    assert [pair for pair in messages if "窓口開設・出張申請会" in pair[1]] == []
    assert dict(messages)["Work sessions"] == "業務一覧"


def test_the_glossary_heads_the_catalog() -> None:
    """Translators find the words to use before the first message."""
    head = CATALOG.read_text(encoding="utf-8").split('msgid ""', 1)[0]
    for term in ("work session      業務", "incident          トラブル・事故・苦情"):
        assert term in head
