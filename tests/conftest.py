"""Test setup: one throwaway database per run, on the engine MADOGUCHI_DATABASE_URL names.

SQLite by default (a real file); PostgreSQL when the URL says so. The database is created
fresh, migrated with the real ``madoguchi migrate`` and dropped at the end; nothing from an
earlier run is trusted. A PostgreSQL that cannot be reached fails the run, never skips it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from server.settings import Settings
from tests import dbutil
from tests.support.cleanup import remove_test_rows_async
from tests.support.harness import open_client, run_cli

_state: dict[str, str] = {}


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
    from server import domains

    domains.install()  # tests apply ops through the services without building an app


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
def settings() -> Settings:
    """Settings as the app would read them in this run."""
    return Settings.from_env()


_apps: dict[Settings, Litestar] = {}


@pytest.fixture
def app(settings: Settings) -> Litestar:
    """The real app on this run's database, built once for each distinct settings.

    Building it costs more than most tests; each test still runs its own lifespan (the
    pool opened and closed). Tests that change an app build their own with ``create_app``.
    """
    from server import db
    from server.app import create_app

    if settings not in _apps:
        _apps[settings] = create_app(settings)
    built = _apps[settings]
    db.bind_engine(built.state.engine)  # another test may have bound its own meanwhile
    return built


@pytest.fixture
async def client(app: Litestar, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Real HTTP through the app (lifespan included); rows the test added are removed."""
    try:
        async with open_client(app) as http:
            yield http
    finally:
        await remove_test_rows_async(database_url)


BROWSER_TESTS = Path(__file__).resolve().parent / "browser"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser ``browser``, and run browser tests last.

    Playwright's sync API keeps an event loop running in the main thread while the browser
    is open, and pytest-asyncio cannot start its own beside it.
    """
    for item in items:
        if item.path.is_relative_to(BROWSER_TESTS):
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
