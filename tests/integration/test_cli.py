"""The madoguchi command."""

import subprocess
import sys
from pathlib import Path
from typing import get_args

from server.incidents.ops import IncidentCategory
from tests import dbutil
from tests.support.cleanup import remove_test_rows
from tests.support.harness import ROOT, run_cli


def test_help_explains_each_command() -> None:
    """--help names serve, migrate and demo with a line each."""
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("serve", "migrate", "demo"):
        assert command in result.stdout


COUNTED = (
    "site",
    "staff",
    "work_session",
    "headcount",
    "session_check",
    "incident",
    "journal",
    "audit_event",
)
# Opening and closing checks of one session side by side, where the cards were counted.
STOCK_SQL = (
    "SELECT o.stock_start, c.stock_received, c.stock_issued, c.stock_spoiled, c.stock_end"
    " FROM session_check o JOIN session_check c ON c.work_session = o.work_session"
    " WHERE o.phase = 'open' AND c.phase = 'close' AND c.stock_end IS NOT NULL"
)
VENUES_WORKED_SQL = (
    "SELECT count(DISTINCT s.id) FROM work_session w JOIN site s ON s.id = w.site"
    " WHERE s.kind = 'outreach_venue'"
)


def _pg_sessions(url: str) -> int:
    """PostgreSQL: connections ever opened to the database of ``url``."""
    rows = dbutil.fetch(
        url, "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
    )
    return int(rows[0][0])


def _check_month(url: str, counts: dict[str, int]) -> None:
    """What a month of demo work must hold for every page to have something to show."""
    assert counts["site"] == 5 + 12
    assert dbutil.fetch(url, VENUES_WORKED_SQL)[0][0] >= 12
    assert counts["work_session"] >= 100
    assert counts["headcount"] >= 4000
    incidents = dbutil.fetch(url, "SELECT category, status FROM incident")
    assert {category for category, _ in incidents} == set(get_args(IncidentCategory))
    assert {status for _, status in incidents} == {"open", "reported", "closed"}
    checks = dbutil.fetch(url, "SELECT phase, missing FROM session_check")
    assert {phase for phase, _ in checks} == {"open", "close"}
    assert any(missing != "[]" for _, missing in checks), "every checklist complete"
    stock = dbutil.fetch(url, STOCK_SQL)
    assert len(stock) >= 50 and all(None not in row for row in stock)
    off = [
        end - (start + received - issued - spoiled)
        for start, received, issued, spoiled, end in stock
    ]
    assert 1 <= sum(1 for n in off if n) <= 2 and all(abs(n) <= 2 for n in off)
    # Past days' journals: submitted, most acknowledged, one returned and revised.
    journals = dbutil.fetch(url, "SELECT status, version FROM journal")
    assert len(journals) >= 60
    assert {status for status, _ in journals} == {"submitted", "acknowledged"}
    assert sum(status == "acknowledged" for status, _ in journals) > len(journals) // 2
    steps = dbutil.fetch(url, "SELECT action, version, reason, comment FROM journal_event")
    returned = [comment for action, _, _, comment in steps if action == "returned"]
    assert len(returned) == 1 and returned[0].strip()
    assert [(a, v) for a, v, reason, _ in steps if reason] == [("submitted", 2)]
    assert max(v for _, v in journals) == 2


def test_demo_loads_a_month_once(database_url: str) -> None:
    """demo loads a dozen venues and a staffed month: taps, checks and card counts,
    incidents of every kind, journals acknowledged and one revised; twice is once."""
    try:
        opened = _pg_sessions(database_url) if dbutil.is_postgres(database_url) else 0
        first = run_cli("demo")
        assert first.returncode == 0, first.stderr
        if dbutil.is_postgres(database_url):
            # Its statements share a pool: one connection each had taken minutes.
            assert _pg_sessions(database_url) - opened < 50
        counts = {t: dbutil.fetch(database_url, f"SELECT count(*) FROM {t}")[0][0] for t in COUNTED}
        _check_month(database_url, counts)
        second = run_cli("demo")
        assert second.returncode == 0
        assert "0 venues, 0 sessions, 0 taps, 0 incidents, 0 journals, 0 checks" in second.stdout
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
