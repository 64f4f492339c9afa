"""docs/performance.md keeps the latest full benchmark run, as the bench wrote it.

``make bench`` writes ``bench/results/latest.json`` and appends the Markdown it renders to
the docs; both are committed. These tests check the record, not the speed: a full run on
both engines with every figure of issue 6 and its target, and a docs section that is the
JSON's own rendering (no table edited by hand, no JSON left without its section).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import report
from tests.conftest import ROOT

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
    return json.loads(Path(LATEST).read_text(encoding="utf-8"))


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


def test_docs_hold_the_latest_run_as_the_bench_wrote_it(latest: dict[str, Any]) -> None:
    """docs/performance.md contains the exact section the committed results render to."""
    assert report.markdown(latest) in DOCS.read_text(encoding="utf-8")
