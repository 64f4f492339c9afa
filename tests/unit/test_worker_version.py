"""The service worker's cache version: a hash of what it caches, written in by the server.

A change to any precached file must reach tablets as a new worker with a new cache; a
version bumped by hand was forgotten whenever only a module or a stylesheet changed.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from server.sync import client_routes
from server.sync.client_routes import STATIC, VERSION_MARK, shell_files, worker_script

VERSION = re.compile(rb"^const VERSION = '([0-9a-f]{16})';$", re.MULTILINE)


def version(static: Path) -> bytes:
    """The version sw.js is served with, from the files under ``static``."""
    found = VERSION.search(worker_script(static))
    assert found, "no hashed VERSION in the served worker"
    return found.group(1)


@pytest.fixture
def static_copy(tmp_path: Path) -> Path:
    """A copy of static/ to change files in."""
    return Path(shutil.copytree(STATIC, tmp_path / "static"))


def listed(static: Path) -> list[str]:
    """The precached files, as sw.js names them."""
    return shell_files((static / "sw.js").read_text(encoding="utf-8"))


def test_served_worker_carries_the_hash() -> None:
    """What the app serves is sw.js with the mark replaced, and nothing else changed."""
    served = client_routes.WORKER_SCRIPT
    assert VERSION_MARK.encode() not in served
    assert version(STATIC) == VERSION.search(served).group(1)  # type: ignore[union-attr]
    source = (STATIC / "sw.js").read_bytes()
    assert served == source.replace(VERSION_MARK.encode(), version(STATIC))


def test_same_files_same_version(static_copy: Path) -> None:
    """The version depends on the content only, not on where the files are."""
    assert version(static_copy) == version(STATIC)


def test_each_cached_file_changes_it(static_copy: Path) -> None:
    """A byte more in any precached file, or in the worker itself, is a new version."""
    before = version(static_copy)
    names = [*listed(static_copy), "sw.js"]
    assert "js/field.js" in names and "css/app.css" in names
    for name in names:
        path = static_copy / name
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert version(static_copy) != before, name
        path.write_bytes(original)
    assert version(static_copy) == before


def test_files_not_cached_leave_it(static_copy: Path) -> None:
    """Files the worker does not keep (the sign-in page's passkey code) do not renew it."""
    assert "js/passkey.js" not in listed(static_copy)
    before = version(static_copy)
    (static_copy / "js" / "passkey.js").write_text("// changed\n", encoding="utf-8")
    assert version(static_copy) == before


def test_a_worker_without_its_mark_or_files_is_refused(static_copy: Path) -> None:
    """The app does not start with a worker it cannot version."""
    worker = static_copy / "sw.js"
    source = worker.read_text(encoding="utf-8")
    worker.write_text(source.replace(VERSION_MARK, "v8"), encoding="utf-8")
    with pytest.raises(RuntimeError, match="__SHELL_HASH__"):
        worker_script(static_copy)
    worker.write_text(re.sub(r"const SHELL_FILES", "const FILES", source), encoding="utf-8")
    with pytest.raises(RuntimeError, match="SHELL_FILES"):
        worker_script(static_copy)
    worker.write_text(source, encoding="utf-8")
    (static_copy / "js" / "field.js").unlink()
    with pytest.raises(FileNotFoundError):
        worker_script(static_copy)
