"""Test setup: one throwaway database per run, on the engine MADOGUCHI_DATABASE_URL names.

SQLite by default (a real file); PostgreSQL when the URL says so. The database is created
fresh, migrated with the real ``madoguchi migrate`` and dropped at the end; nothing from an
earlier run is trusted. A PostgreSQL that cannot be reached fails the run, never skips it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from server.auth.web import CSRF_COOKIE, CSRF_HEADER
from tests import dbutil

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "server.cli"]
_state: dict[str, str] = {}


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``madoguchi`` command with the test environment (plus ``env``)."""
    return subprocess.run(
        [*CLI, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Create and migrate this run's database before any test module imports the app."""
    if hasattr(config, "workerinput"):  # pragma: no cover - no xdist here
        return
    base_url = os.environ.get("MADOGUCHI_DATABASE_URL", "sqlite:///var/madoguchi.db")
    folder = Path(tempfile.mkdtemp(prefix="madoguchi-test-"))
    try:
        url = dbutil.create_throwaway(base_url, folder, label="run")
    except Exception as error:
        raise pytest.UsageError(
            f"cannot create a test database on {base_url.split('@')[-1]}: {error!r}"
        ) from error
    _state.update(base_url=base_url, url=url, folder=str(folder))
    os.environ["MADOGUCHI_DATABASE_URL"] = url
    os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")
    migrated = run_cli("migrate")
    if migrated.returncode != 0:
        dbutil.drop_throwaway(base_url, url)
        raise pytest.UsageError(f"madoguchi migrate failed:\n{migrated.stdout}{migrated.stderr}")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Drop this run's database."""
    if "url" in _state:
        dbutil.drop_throwaway(_state["base_url"], _state["url"])


def pytest_report_header(config: pytest.Config) -> str:
    """Say which engine this run tests, so SQLite and PostgreSQL runs are told apart."""
    url = _state.get("url", "")
    engine = "postgresql" if dbutil.is_postgres(url) else "sqlite"
    return f"madoguchi database: {engine} (throwaway {url.rsplit('/', 1)[-1]})"


@pytest.fixture(scope="session")
def database_url() -> str:
    """URL of this run's migrated database."""
    return _state["url"]


@pytest.fixture(scope="session")
def base_database_url() -> str:
    """URL the run's database was made from (for more throwaway databases)."""
    return _state["base_url"]


@pytest.fixture(scope="session")
def scratch_folder() -> Path:
    """A folder for this run's files."""
    return Path(_state["folder"])


@pytest.fixture
def settings() -> object:
    """Settings as the app would read them in this run."""
    from server.settings import Settings

    return Settings.from_env()


# What tests add, deleted between tests (children before parents), by table.
CLEANED: dict[str, str] = {
    "sync_issue": "",
    "device_day_report": "",
    "device": "",
    "incident_revision": "",
    "incident": "",
    "headcount_cell": "",
    "headcount": "",
    "work_session_staff": "",
    "work_session_revision": "",
    "work_session": "",
    "site": "WHERE NOT fixed",
    "login_session": "",
    "webauthn_credential": "",
    "invite": "",
    "staff": "",
    "webauthn_challenge": "",
    "rate_limit": "",
}
# Tables left as they are, and why (tests/unit/test_cleanup.py holds every table to one list).
KEPT: dict[str, str] = {
    "audit_event": "the chain: the tests that need it empty reset it themselves",
    "audit_head": "the chain's head, reset with it",
    "headcount_category": "seeded by migrations; tests add their own codes beside them",
    "migration": "Piccolo's record of applied migrations",
}


def remove_test_rows(url: str) -> None:
    """Delete what tests add, keeping what migrations seeded (straight SQL, outside the app)."""
    for table, where in CLEANED.items():
        dbutil.execute(url, f"DELETE FROM {table} {where}".strip())


@pytest.fixture
def app(settings: object) -> Iterator[Litestar]:
    """The real app on this run's database."""
    from server.app import create_app

    yield create_app(settings)  # type: ignore[arg-type]


@asynccontextmanager
async def open_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP through the app in the test's own event loop, lifespan included.

    Litestar's AsyncTestClient runs the app in another thread's loop; a PostgreSQL pool
    opened there cannot serve service calls made by the test itself, so we use httpx's
    ASGI transport here instead. The first GET hands out the CSRF cookie and the client
    echoes it in a header, as our scripts and htmx do.
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def serve_lifespan() -> None:
        # Entered and left in this one task: anyio's cancel scopes insist on it.
        async with app.lifespan():
            started.set()
            await stop.wait()

    lifespan = asyncio.create_task(serve_lifespan())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait([lifespan, waiter], return_when=asyncio.FIRST_COMPLETED)
    if lifespan.done():
        waiter.cancel()
        lifespan.result()  # startup failed: raise its error here
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            await http.get("/health")
            http.headers[CSRF_HEADER] = http.cookies[CSRF_COOKIE]
            yield http
    finally:
        stop.set()
        await lifespan


@pytest.fixture
async def client(app: Litestar, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Real HTTP through the app (lifespan included); rows the test added are removed."""
    try:
        async with open_client(app) as http:
            yield http
    finally:
        remove_test_rows(database_url)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run browser tests last.

    Playwright's sync API keeps an event loop running in the main thread while the browser
    is open, and pytest-asyncio cannot start its own beside it.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
