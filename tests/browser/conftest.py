"""Browser tests: Debian's Chromium driven by Playwright against a real `madoguchi serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import tablet
from tests.support.browser import PageProblems, new_tab
from tests.support.harness import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """`madoguchi serve` in its own process on a free port; yields its base URL."""
    port = _free_port()
    env = {**os.environ, "MADOGUCHI_PORT": str(port), "MADOGUCHI_HOST": "127.0.0.1"}
    # The server logs every request: to a file, since a pipe nobody reads fills up
    # (64 KiB, a few hundred requests) and then blocks the server mid-suite.
    log = Path(tempfile.mkdtemp(prefix="madoguchi-serve-")) / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                err = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"server did not start: {err}") from None
            time.sleep(0.2)
    yield base
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium. Missing: a failure under CI, a skip with a hint elsewhere."""
    if not CHROMIUM.exists():
        message = "Debian's chromium is missing: run `make browser` (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[tuple[Any, PageProblems]]:
    """A fresh browser context and page, watching for errors and CSP violations."""
    context, tab, problems = new_tab(browser, live_server)
    yield tab, problems
    context.close()


@pytest.fixture
def field_tablet(page: tuple[Any, PageProblems], live_server: str) -> tablet.FieldTablet:
    """A signed-in tablet with today's session at 本庁舎 opened online and kept for offline
    use: the tab, its problems and the session's id."""
    tab, problems, data = tablet.field_online(page, live_server)
    return tab, problems, int(data["session"])


@pytest.fixture
def tablets(browser: Any, live_server: str) -> Iterator[list[tuple[Any, Any, PageProblems]]]:
    """Two browser contexts: two tablets, each with its own storage and device id."""
    made = [new_tab(browser, live_server) for _ in range(2)]
    yield made
    for context, _tab, _problems in made:
        context.close()
