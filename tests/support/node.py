"""Node.js for the tests of the browser code (no npm, no build step)."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

import pytest

# Node runs typeless .js files written as ES modules (static/js) from 20.19 and 22.12 on.
NODE_AT_LEAST = (20, 19)


@functools.cache
def node() -> str:
    """Node's path, once its version is known to run static/js's modules as they are.

    A machine without Node fails the test rather than skipping the browser code.
    """
    found = shutil.which("node")
    if found is None:
        pytest.fail("Node.js is needed for the JS tests (apt-get install nodejs)")
    version = subprocess.run(
        [found, "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:2])
    if numbers < NODE_AT_LEAST:
        pytest.fail(f"Node.js {version.strip()} is too old for the JS tests; 20.19 or newer")
    return found
