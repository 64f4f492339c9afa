"""The benchmark harness runs end to end (``python -m bench --smoke``) on this run's engine.

It creates its own throwaway database on the same server (or a SQLite file of its own),
starts a real ``madoguchi serve`` and writes its JSON. This checks that every figure is
there with numbers; it asserts no speed threshold (speed lives in ``docs/performance.md``).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.harness import ROOT

pytestmark = pytest.mark.slow

PUSH = ("push_b100_d1", "push_b500_d1", "push_b100_d20", "push_b500_d20")
PULL = ("pull_empty_h0", "pull_page_h0", "pull_empty_h1000", "pull_page_h1000")
FIELD_PAGE = ("field_bytes", "field_reload", "field_tap")
EVERY_FIGURE = (*PUSH, "replay", "backlog", "wire", *PULL, "devices_w2")
WITH_CEILING = (*PUSH, "replay")
WITHIN = 240  # seconds; the smoke run takes well under a minute per engine
CHROMIUM = Path("/usr/bin/chromium")  # the field page's figures need it (`make browser`)


def number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def test_bench_smoke_writes_every_figure(database_url: str, tmp_path: Path) -> None:
    """``python -m bench --smoke`` on this run's engine: every figure, each with numbers."""
    output = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if k != "MADOGUCHI_DATABASE_URL"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--smoke",
            "--database-url",
            database_url,
            "--output",
            str(output),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WITHIN,
        check=False,
    )
    assert done.returncode == 0, f"bench failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    results = json.loads(output.read_text(encoding="utf-8"))
    assert results["mode"] == "smoke"
    assert results["machine"]["cores"] >= 1
    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    assert list(results["databases"]) == [engine]
    figures = results["databases"][engine]["figures"]
    expected = (*EVERY_FIGURE, *FIELD_PAGE) if CHROMIUM.exists() else EVERY_FIGURE
    missing = [name for name in expected if name not in figures]
    assert not missing, f"figures missing: {missing}"
    if not CHROMIUM.exists():
        notes = results["databases"][engine]["notes"]
        assert any(n.startswith("Field page not measured") for n in notes), notes
    for name in expected:
        figure = figures[name]
        for statistic in ("median", "min", "max"):
            assert number(figure["value"][statistic]), (name, figure["value"])
        assert figure["value"]["min"] <= figure["value"]["median"] <= figure["value"]["max"]
        assert figure["value"]["median"] > 0, name
        assert figure["target"] and figure["unit"], name
        assert figure["runs"], name
    for name in (*WITH_CEILING, "pull_empty_h1000", "pull_page_h1000"):
        assert number(figures[name]["ratio"]["median"]), name
    for name in WITH_CEILING:
        assert number(figures[name]["ceiling"]["median"]), name
    (devices,) = figures["devices_w2"]["runs"]
    assert devices["workers"] == 2 and devices["pushes"] > 0 and devices["pulls"] > 0
    assert isinstance(devices["errors"], int), devices
    for key in ("server_p99_ms", "server_cpu_cores", "client_push_p99_ms"):
        assert number(devices[key]), (key, devices)
    assert results["not_measured"] == [], "every figure of issue 6 is measured"
