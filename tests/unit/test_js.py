"""The browser code under Node: its tests (tests/js) and the syntax of every script.

No npm and no build step: Node runs the ES modules of static/js as they are served. Node
must be on PATH; a machine without it fails here rather than skipping the browser code.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.support.node import node

ROOT = Path(__file__).resolve().parents[2]
JS_TESTS = sorted((ROOT / "tests" / "js").glob("*.test.mjs"))
SCRIPTS = [*sorted((ROOT / "static" / "js").glob("*.js")), ROOT / "static" / "sw.js"]
# Loaded by a plain <script> in the page's head as well as imported as a module.
CLASSIC = {"early.js"}


def test_node_tests_pass() -> None:
    """``node --test`` over tests/js: every test passes, and there are tests to pass."""
    assert JS_TESTS, "no tests/js/*.test.mjs"
    result = subprocess.run(
        [node(), "--test", "--test-reporter=tap", *map(str, JS_TESTS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-6000:]
    ran = re.search(r"^# pass (\d+)$", report, re.MULTILINE)
    assert ran and int(ran.group(1)) >= len(JS_TESTS), report[-2000:]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_script_parses(script: Path) -> None:
    """``node --check`` of each script as the browser loads it (a module; early.js also as a
    classic script). Read from stdin with its type given: Node's check of a typeless file
    that fails as CommonJS and as a module reports nothing."""
    kinds = ["module", "commonjs"] if script.name in CLASSIC else ["module"]
    for kind in kinds:
        result = subprocess.run(
            [node(), f"--input-type={kind}", "--check"],
            input=script.read_text(encoding="utf-8"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, f"{script.name} as {kind}:\n{result.stderr}"
