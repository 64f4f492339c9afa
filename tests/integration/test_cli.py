"""The madoguchi command."""

import subprocess
import sys
from pathlib import Path

from tests import dbutil
from tests.support.cleanup import remove_test_rows
from tests.support.harness import ROOT, run_cli


def test_help_explains_each_command() -> None:
    """--help names serve, migrate and demo with a line each."""
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("serve", "migrate", "demo"):
        assert command in result.stdout


COUNTED = ("site", "staff", "work_session", "headcount", "incident", "journal", "audit_event")


def _pg_sessions(url: str) -> int:
    """PostgreSQL: connections ever opened to the database of ``url``."""
    rows = dbutil.fetch(
        url, "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
    )
    return int(rows[0][0])


def test_demo_loads_a_week_once(database_url: str) -> None:
    """demo loads venues, a staffed week, thousands of taps and a dozen incidents; twice is once."""
    try:
        opened = _pg_sessions(database_url) if dbutil.is_postgres(database_url) else 0
        first = run_cli("demo")
        assert first.returncode == 0, first.stderr
        if dbutil.is_postgres(database_url):
            # Its statements share a pool: one connection each had taken minutes.
            assert _pg_sessions(database_url) - opened < 50
        counts = {t: dbutil.fetch(database_url, f"SELECT count(*) FROM {t}")[0][0] for t in COUNTED}
        assert counts["site"] == 8
        assert counts["work_session"] >= 15
        assert counts["headcount"] >= 2000
        assert 8 <= counts["incident"] <= 12
        statuses = {r[0] for r in dbutil.fetch(database_url, "SELECT status FROM incident")}
        assert {"open", "reported", "closed"} <= statuses
        # Past days' journals: submitted, most acknowledged, the first returned and revised.
        journals = dbutil.fetch(database_url, "SELECT status, version FROM journal")
        assert len(journals) >= 10
        assert {status for status, _ in journals} == {"submitted", "acknowledged"}
        steps = [r[0] for r in dbutil.fetch(database_url, "SELECT action FROM journal_event")]
        assert steps.count("returned") == 1 and max(v for _, v in journals) == 2
        second = run_cli("demo")
        assert second.returncode == 0
        assert "0 venues, 0 sessions, 0 taps, 0 incidents, 0 journals" in second.stdout
        again = {t: dbutil.fetch(database_url, f"SELECT count(*) FROM {t}")[0][0] for t in COUNTED}
        assert again == counts
        assert run_cli("audit", "verify").returncode == 0
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
