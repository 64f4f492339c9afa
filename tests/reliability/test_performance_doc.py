"""docs/performance.md holds the latest full benchmark run as the bench wrote it.

``make bench`` writes ``bench/results/latest.json``, keeps the run in
``bench/results/history/`` and replaces the generated part of the docs with its tables
(beside the previous kept run's); all three are committed. These tests check the record,
not the speed: a full run on both engines with every figure of issue 6 and its target, a
docs file that is exactly what the bench would write now (no table edited by hand, no
run left without its tables), a history whose every run can be read back, and a ledger
that a new run leaves alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import history
from tests.support.harness import ROOT

LATEST = ROOT / "bench" / "results" / "latest.json"
DOCS = ROOT / "docs" / "performance.md"
HISTORY = (0, 10_000, 100_000, 1_000_000)
EVERY_FIGURE = (
    *(f"push_b{batch}_d{devices}" for devices in (1, 20) for batch in (100, 500)),
    "replay",
    "backlog",
    "wire",
    *(f"pull_{kind}_h{rows}" for rows in HISTORY for kind in ("empty", "page")),
    "devices_w2",
    "field_bytes",
    "field_reload",
    "field_tap",
)


@pytest.fixture(scope="module")
def latest() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(Path(LATEST).read_text(encoding="utf-8"))
    return found


def test_latest_run_is_a_full_run_of_both_engines(latest: dict[str, Any]) -> None:
    """The committed results are a full-size run on SQLite and on PostgreSQL."""
    assert latest["mode"] == "full"
    assert list(latest["databases"]) == ["SQLite", "PostgreSQL"]
    assert latest["runs"] >= 3
    assert latest["not_measured"] == []


@pytest.mark.parametrize("engine", ["SQLite", "PostgreSQL"])
def test_latest_run_has_every_figure_with_its_target(latest: dict[str, Any], engine: str) -> None:
    """Each engine holds every figure the issue asks for, each with a target and a verdict."""
    figures = latest["databases"][engine]["figures"]
    assert sorted(figures) == sorted(EVERY_FIGURE)
    for name, figure in figures.items():
        assert figure["target"], name
        informational = name == "devices_w2" and engine == "SQLite"
        assert (figure["met"] is None) == informational, (name, figure["met"])


def test_history_keeps_the_latest_run(latest: dict[str, Any]) -> None:
    """The latest run is the history's newest file, with the same content (and perhaps the
    reading written under it by hand)."""
    newest = history.kept()[-1]
    assert newest.name == history.file_name(latest)
    kept = json.loads(newest.read_text(encoding="utf-8"))
    kept.pop("reading", None)
    assert kept == latest


def test_docs_are_what_the_bench_writes_for_the_latest_run(latest: dict[str, Any]) -> None:
    """Replacing the docs' generated part with the latest run's (beside the run before it)
    changes nothing: the tables are the bench's own, for this run."""
    text = DOCS.read_text(encoding="utf-8")
    before = history.previous(latest)
    assert before is not None, "the history should hold a run before the latest"
    assert history.update_docs(text, latest, before) == text
    assert f"The **previous** column is the run of {before['date']}" in text


def test_every_kept_run_reads_back() -> None:
    """Each history file is one run, named by its date and commit, with every figure's
    value (the runs from before the history existed included)."""
    paths = history.kept()
    assert len(paths) >= 14
    for path in paths:
        run = json.loads(path.read_text(encoding="utf-8"))
        assert path.name == history.file_name(run)
        assert run["mode"] == "full" and run["command"].startswith("python -m bench"), path
        for engine in ("SQLite", "PostgreSQL"):
            figures = run["databases"][engine]["figures"]
            assert figures, (path.name, engine)
            for name, figure in figures.items():
                assert isinstance(figure["value"]["median"], float | int), (path.name, name)


def test_a_new_run_replaces_the_tables_and_keeps_the_ledger(latest: dict[str, Any]) -> None:
    """A later run's tables take the place of the latest's, with the latest's medians as
    the previous column; the hand-written text before and after is untouched."""
    text = DOCS.read_text(encoding="utf-8")
    later = {**latest, "date": "2099-01-01 00:00 UTC", "commit": "later00"}
    updated = history.update_docs(text, later, latest)
    head, end = text.split(history.BEGIN)[0], text.split(history.END)[1]
    assert updated.startswith(head) and updated.endswith(end)
    assert "## Ledger" in end
    assert updated.count("## Latest run:") == 1
    assert "## Latest run: 2099-01-01 00:00 UTC, commit `later00`" in updated
    assert f"run of {latest['date']}, commit `{latest['commit']}`" in updated


def test_docs_without_their_markers_are_refused_before_a_run(tmp_path: Path) -> None:
    """A docs file whose markers were edited away would lose hand-written text: refused."""
    docs = tmp_path / "performance.md"
    docs.write_text("# Performance\n\n## Ledger\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="markers"):
        history.check_docs(docs)
    docs.write_text(history.DOCS_HEADER, encoding="utf-8")
    history.check_docs(docs)
