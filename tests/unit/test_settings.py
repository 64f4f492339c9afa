"""Settings: read once from the environment, documented in README."""

import re
from pathlib import Path

import pytest

from server.settings import ENV_VARS, Settings, SettingsError

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults_serve_sqlite_on_localhost() -> None:
    """With nothing set, Madoguchi uses var/madoguchi.db and listens on 127.0.0.1:8000."""
    settings = Settings.from_env({})
    assert settings.database.engine == "sqlite"
    assert str(settings.database.sqlite_path) == "var/madoguchi.db"
    assert (settings.server.host, settings.server.port) == ("127.0.0.1", 8000)
    assert settings.default_language == "ja"


def test_postgres_url_selects_postgres() -> None:
    """A postgresql:// URL selects the PostgreSQL engine."""
    settings = Settings.from_env({"MADOGUCHI_DATABASE_URL": "postgresql://u@h:5432/db"})
    assert settings.database.engine == "postgres"


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("MADOGUCHI_PORT", "eighty", "whole number"),
        ("MADOGUCHI_PORT", "70000", "between"),
        ("MADOGUCHI_DATABASE_URL", "mysql://x", "sqlite:///"),
        ("MADOGUCHI_DEFAULT_LANGUAGE", "fr", "one of"),
        ("MADOGUCHI_LOG_LEVEL", "LOUD", "DEBUG"),
    ],
)
def test_bad_values_are_refused_with_the_name(name: str, value: str, fragment: str) -> None:
    """A malformed setting raises SettingsError naming the variable."""
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({name: value})
    assert name in str(raised.value)
    assert fragment in str(raised.value)


def test_readme_documents_exactly_the_settings() -> None:
    """README's configuration table lists every setting and no setting that does not exist."""
    text = README.read_text(encoding="utf-8")
    table_names = set(re.findall(r"^\|\s*`(MADOGUCHI_[A-Z_]+)`", text, flags=re.MULTILINE))
    assert table_names == {v.name for v in ENV_VARS}


def test_readme_shows_each_default() -> None:
    """Each README row shows the setting's real default."""
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(
            r"^\|\s*`(MADOGUCHI_[A-Z_]+)`\s*\|\s*`([^`]*)`", README.read_text("utf-8"), re.M
        )
    }
    assert rows == {v.name: v.default for v in ENV_VARS}
