"""The offline client's entry points: the service worker at the site root."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from litestar import Response, get

from server.auth.policy import Permission

STATIC = Path(__file__).resolve().parent.parent.parent / "static"
# Where sw.js takes its cache version; the server writes the shell's hash there.
VERSION_MARK = "__SHELL_HASH__"
_SHELL_LIST = re.compile(r"const SHELL_FILES = \[(.*?)\];", re.DOTALL)
_SHELL_FILE = re.compile(r"'/static/([^']+)'")


def shell_files(source: str) -> list[str]:
    """The files (under static/) the worker precaches, as its ``SHELL_FILES`` lists them."""
    listed = _SHELL_LIST.search(source)
    if listed is None:
        raise RuntimeError("static/sw.js has no SHELL_FILES list")
    return _SHELL_FILE.findall(listed.group(1))


def worker_script(static: Path = STATIC) -> bytes:
    """sw.js with its version: a hash of itself and of every file it precaches.

    A change to any of them changes the served bytes, so browsers install the new worker,
    which fills a new cache; nobody bumps a version by hand.
    """
    source = (static / "sw.js").read_text(encoding="utf-8")
    if source.count(VERSION_MARK) != 1:
        raise RuntimeError(f"static/sw.js must name {VERSION_MARK} once")
    digest = hashlib.sha256(source.encode())
    for name in shell_files(source):
        content = (static / name).read_bytes()
        digest.update(f"\0{name}\0{len(content)}\0".encode())
        digest.update(content)
    return source.replace(VERSION_MARK, digest.hexdigest()[:16]).encode()


# Computed once, as the app starts: a deployment changes the files and restarts.
WORKER_SCRIPT = worker_script()


@get("/sw.js", opt={"permission": Permission.PUBLIC}, include_in_schema=False)
async def service_worker() -> Response[bytes]:
    """The service worker, served from the root so it controls every page.

    ``no-cache``: browsers check for a new version on every navigation.
    """
    return Response(
        WORKER_SCRIPT,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


ROUTES = [service_worker]
