"""The app as tests drive it: the real CLI in a subprocess, and HTTP in the test's own loop."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from litestar import Litestar

from server.auth.web import CSRF_COOKIE, CSRF_HEADER

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "server.cli"]


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


def transport(app: Litestar) -> httpx.ASGITransport:
    """httpx's in-process transport to ``app``, as from 127.0.0.1."""
    # Litestar types its ASGI callable more narrowly than httpx's protocol asks.
    return httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))  # type: ignore[arg-type]


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
    try:
        async with httpx.AsyncClient(transport=transport(app), base_url="http://127.0.0.1") as http:
            await http.get("/health")
            http.headers[CSRF_HEADER] = http.cookies[CSRF_COOKIE]
            yield http
    finally:
        stop.set()
        await lifespan
