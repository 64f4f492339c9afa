"""The madoguchi command."""

import subprocess
import sys
from pathlib import Path

from tests import dbutil
from tests.conftest import ROOT, remove_test_rows, run_cli


def test_help_explains_each_command() -> None:
    """--help names serve, migrate and demo with a line each."""
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("serve", "migrate", "demo"):
        assert command in result.stdout


def test_demo_is_safe_to_run_twice(database_url: str) -> None:
    """demo adds its venues once; a second run adds nothing."""
    try:
        first = run_cli("demo")
        assert first.returncode == 0, first.stderr
        count = dbutil.fetch(database_url, "SELECT count(*) FROM site")[0][0]
        assert count > 5
        second = run_cli("demo")
        assert second.returncode == 0
        assert "(0 venues added)" in second.stdout
        assert dbutil.fetch(database_url, "SELECT count(*) FROM site")[0][0] == count
    finally:
        remove_test_rows(database_url)


def test_bad_setting_exits_2_with_message() -> None:
    """A malformed setting stops the command with a message naming it."""
    result = run_cli("migrate", env={"MADOGUCHI_PORT": "x"})
    assert result.returncode == 2
    assert "MADOGUCHI_PORT" in result.stderr


def test_importing_the_app_has_no_side_effects(tmp_path: Path) -> None:
    """Importing server.app and building settings opens no database and creates no file."""
    code = "import server.app, server.cli, server.piccolo_conf; print('ok')"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "MADOGUCHI_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert result.stderr == ""
    assert list(tmp_path.iterdir()) == []
