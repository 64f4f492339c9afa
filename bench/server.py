"""A real ``madoguchi serve`` in its own process (one worker or more), and its request log.

The server writes one JSON line per request to stderr, with ``request_id`` (also sent back
as the ``x-request-id`` header) and ``duration_ms``: the time from the request reaching
the app to its response starting. :meth:`Server.durations` matches the two, so a figure
can use the server's own time for exactly the requests the harness sent.
:meth:`Server.cpu_seconds` reads the CPU time of the server's processes (the uvicorn
master and its worker children) from ``/proc``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

import httpx

ROOT = Path(__file__).resolve().parent.parent
START_WITHIN = 60.0


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(*args: str, env: dict[str, str], timeout: float = 300) -> None:
    """Run the real ``madoguchi`` command; raise with its output if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"madoguchi {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of one process (0 when it is gone)."""
    try:
        after = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command name: state is index 0, so utime (field 14) is 11, stime 12.
    return (int(after[11]) + int(after[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """``madoguchi serve`` on a free loopback port, its stderr kept in a file."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        wrap: list[str] | None = None,
        workers: int = 1,
    ):
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            **env,
            "MADOGUCHI_PORT": str(self.port),
            "MADOGUCHI_HOST": "127.0.0.1",
            "MADOGUCHI_WORKERS": str(workers),
            "MADOGUCHI_LOG_LEVEL": "INFO",
            "MADOGUCHI_DEBUG": "false",
        }
        self.log_path = log_path
        self.wrap = wrap or []
        self.process: asyncio.subprocess.Process | None = None
        self.log: TextIO | None = None
        self._offset = 0
        self._log_start = 0
        self._seen: dict[str, float] = {}

    async def start(self) -> None:
        """Start the server and wait until ``/health`` answers 200."""
        self.log = self.log_path.open("a", encoding="utf-8")
        self._log_start = self.log.tell()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.wrap,
            "-m",
            "server.cli",
            "serve",
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_WITHIN
        async with httpx.AsyncClient(base_url=self.base, timeout=2) as probe:
            while True:
                with contextlib.suppress(httpx.TransportError):
                    # With several workers the first one up answers /health while the
                    # others still import the app: wait until every worker has started.
                    if (
                        await probe.get("/health")
                    ).status_code == 200 and self._started_workers() >= self.workers:
                        return
                if self.process.returncode is not None or time.monotonic() > deadline:
                    await self.stop()
                    raise RuntimeError(f"server did not start:\n{self.tail()}")
                await asyncio.sleep(0.05)

    async def stop(self, *, graceful: bool = False) -> None:
        """Stop the server (SIGINT and wait when ``graceful``, else SIGKILL) and reap it."""
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                if graceful:
                    os.kill(self.process.pid, signal.SIGINT)
                    try:
                        await asyncio.wait_for(self.process.wait(), timeout=30)
                    except TimeoutError:
                        os.killpg(self.process.pid, signal.SIGKILL)
                else:
                    os.killpg(self.process.pid, signal.SIGKILL)
            await asyncio.wait_for(self.process.wait(), timeout=30)
        if self.log is not None:
            self.log.close()
            self.log = None

    def _started_workers(self) -> int:
        if self.workers == 1:
            return 1
        if self.log is not None:
            self.log.flush()
        with self.log_path.open("rb") as handle:
            handle.seek(self._log_start)
            return handle.read().count(b"Application startup complete")

    def pids(self) -> list[int]:
        """The server's process and every process below it (uvicorn's workers)."""
        if self.process is None:
            return []
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    # Field 4 of stat is the parent pid; the command name (field 2) may
                    # hold spaces, so split after its closing parenthesis.
                    after = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    parents[int(entry.name)] = int(after[1])
        found = [self.process.pid]
        for pid in found:  # grows while walked: children of children too
            found.extend(child for child, parent in parents.items() if parent == pid)
        return found

    def cpu_seconds(self) -> float:
        """User plus system CPU seconds used so far by the server's processes."""
        return sum(process_cpu_seconds(pid) for pid in self.pids())

    def tail(self, size: int = 3000) -> str:
        """The end of the server's output."""
        if self.log is not None:
            self.log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-size:]

    def _read_new(self) -> None:
        with self.log_path.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        end = data.rfind(b"\n")
        if end < 0:
            return
        self._offset += end + 1
        for line in data[: end + 1].splitlines():
            if not line.startswith(b"{"):
                continue
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if "request_id" in entry and "duration_ms" in entry:
                    self._seen[entry["request_id"]] = float(entry["duration_ms"])

    async def durations(self, request_ids: list[str], within: float = 10.0) -> list[float]:
        """Server ``duration_ms`` of each request, in the order given (waits for the log)."""
        deadline = time.monotonic() + within
        while True:
            self._read_new()
            missing = [r for r in request_ids if r not in self._seen]
            if not missing:
                return [self._seen.pop(r) for r in request_ids]
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(missing)} requests missing from the server log")
            await asyncio.sleep(0.05)
