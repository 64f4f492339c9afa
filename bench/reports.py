"""The monthly report and the daily journal over a month of field data (issue 19).

The month is built by :mod:`bench.month`; a real server then answers, signed in, the report
of all sites as a page, a workbook and a PDF, and the journal of the busiest site-day.
Server times are the request log's ``duration_ms``; while the PDF renders, the server's
memory is read from ``/proc`` (:func:`pdf_memory`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.month import Month
from bench.server import ROOT, Server

FIGURES = (
    "report_html",
    "report_xlsx",
    "report_pdf",
    "report_pdf_memory",
    "journal",
    "reconcile_page",
    "reconcile_cli",
)
SAMPLE_S = 0.01  # how often the server's resident memory is read while the PDF renders
MB = 1_000_000
MEMORY_NOTE = (
    "`report_pdf_memory`: before each PDF request the peak resident set (VmHWM) of the "
    "server's processes (the uvicorn process and any below it; one worker) is reset by "
    "writing 5 to `/proc/<pid>/clear_refs`, and read from `/proc/<pid>/status` after the "
    "answer: the peak while it rendered, summed over the processes, MB = 10^6 B. VmRSS "
    f"is also read every {SAMPLE_S * 1000:g} ms during the request (`sampled_peak_mb`; "
    "the value is the larger of the two, as the kernel's counters behind VmHWM lag a "
    "little). `rss_before_mb` is the resident set before the request (the server had "
    "rendered the PDF before: once, not measured, then in each earlier run), `growth_mb` "
    "the peak above it, `first_peak_mb` the server's VmHWM over its "
    "life up to the measured runs (start, warm-up page, workbook and PDF)."
)


def describe(built: Month, engine: str) -> str:
    """The note of how the month was built, and in what time."""
    return (
        f"Reports ({engine}): month {built.month:%Y-%m} with {built.increments:,} increments "
        f"at {built.sites} sites in {built.sessions:,} sessions (each an audit entry and a "
        f"headcount row, the chain kept whole), the month before with "
        f"{built.previous_increments:,}; {built.cells:,} headcount cells in all, "
        f"{built.incidents} incidents; written in bulk in {built.seconds:.1f} s. The journal "
        f"is of site {built.busy_site} on {built.busy_day} ({built.busy_count:,} increments)."
    )


def _status_kb(pid: int, key: str) -> int:
    """A ``kB`` line of ``/proc/<pid>/status`` (0 when the process is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    return 0


def _reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current resident set (Linux 4.0 and later)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Asks:
    """The report's and the journal's requests for one built month, timed."""

    def __init__(self, server: Server, http: httpx.AsyncClient, built: Month) -> None:
        self.server = server
        self.http = http
        self.built = built
        self.first_peak_mb = 0.0  # VmHWM of the server's life before the measured runs

    async def _get(self, path: str, params: dict[str, Any]) -> tuple[httpx.Response, float]:
        began = time.perf_counter()
        response = await self.http.get(path, params=params)
        client_ms = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:300]}")
        return response, client_ms

    async def _timed(
        self, path: str, params: dict[str, Any], start: bytes
    ) -> tuple[dict[str, Any], httpx.Response]:
        """One request's server and client time; its body must start with ``start``."""
        response, client_ms = await self._get(path, params)
        if not response.content.startswith(start):
            raise RuntimeError(f"{path} answered {response.content[:80]!r}")
        (server_ms,) = await self.server.durations([response.headers["x-request-id"]])
        timed = {"value": server_ms, "client_ms": client_ms, "bytes": len(response.content)}
        return timed, response

    def _month(self) -> dict[str, Any]:
        return {"month": f"{self.built.month:%Y-%m}"}

    async def page(self) -> dict[str, Any]:
        """The report page of all sites, which must show the month's total."""
        timed, response = await self._timed("/reports/monthly", self._month(), b"<!")
        if f'<td class="num">{self.built.increments}</td>' not in response.text:
            raise RuntimeError(f"the report does not show the total {self.built.increments}")
        return timed

    async def file(self, kind: str) -> dict[str, Any]:
        """The report as ``xlsx`` or ``pdf``."""
        start = b"%PDF-" if kind == "pdf" else b"PK"
        timed, _ = await self._timed(f"/reports/monthly.{kind}", self._month(), start)
        return timed

    async def pdf_memory(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The PDF's time, and the server's peak memory while it renders
        (:data:`MEMORY_NOTE`)."""
        pids = self.server.pids()
        before = sum(_status_kb(pid, "VmRSS") for pid in pids)
        reset = all([_reset_peak(pid) for pid in pids])
        samples: list[int] = []
        done = asyncio.Event()

        async def watch() -> None:
            while not done.is_set():
                samples.append(sum(_status_kb(pid, "VmRSS") for pid in pids))
                await asyncio.sleep(SAMPLE_S)

        watcher = asyncio.create_task(watch())
        try:
            timed = await self.file("pdf")
        finally:
            done.set()
            await watcher
        peak = sum(_status_kb(pid, "VmHWM") for pid in pids)
        sampled = max(samples, default=0)
        memory = {
            # The kernel's counters behind VmHWM lag a little: a sample can top it.
            "value": (max(peak, sampled) if reset else sampled) * 1024 / MB,
            "method": "VmHWM after clear_refs" if reset else "VmRSS sampled",
            "hwm_mb": peak * 1024 / MB,
            "sampled_peak_mb": sampled * 1024 / MB,
            "rss_before_mb": before * 1024 / MB,
            "growth_mb": (max(peak, sampled) - before) * 1024 / MB,  # the render's own
            "first_peak_mb": self.first_peak_mb,
            "samples": len(samples),
            "processes": len(pids),
        }
        return timed, memory

    async def journal(self, samples: int) -> dict[str, Any]:
        """``samples`` journals of the busiest site-day, which must show its total: the
        median server time, the slowest beside it."""
        params = {"site_id": self.built.busy_site, "day": self.built.busy_day.isoformat()}
        total = f'data-testid="journal-total">{self.built.busy_count}<'
        ids, client_ms = [], []
        for _ in range(samples):
            response, took = await self._get("/journal", params)
            if total not in response.text:
                raise RuntimeError(f"the journal does not show the total {self.built.busy_count}")
            ids.append(response.headers["x-request-id"])
            client_ms.append(took)
        server_ms = await self.server.durations(ids)
        return {
            "value": statistics.median(server_ms),
            "max_ms": max(server_ms),
            "client_median_ms": statistics.median(client_ms),
            "samples": samples,
        }

    async def reconcile_page(self, samples: int) -> dict[str, Any]:
        """The reconciliation page of the busiest day, ``samples`` times: the p99 of its
        server times (nearest rank), the median beside it."""
        params = {"day": self.built.busy_day.isoformat()}
        ids = []
        for _ in range(samples):
            response, _ = await self._get("/reconciliation", params)
            ids.append(response.headers["x-request-id"])
        server_ms = sorted(await self.server.durations(ids))
        rank = max(0, -(-99 * len(server_ms) // 100) - 1)
        return {
            "value": server_ms[rank],
            "median_ms": statistics.median(server_ms),
            "samples": samples,
        }

    def reconcile_cli(self) -> dict[str, Any]:
        """``madoguchi reconcile --date <busiest day> --json``: wall seconds from start to
        exit, start-up included; it must exit 0 or 3 with the day's findings."""
        day = self.built.busy_day.isoformat()
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "server.cli", "reconcile", "--json", "--date", day],
            cwd=ROOT,
            env={**os.environ, **self.server.env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        seconds = time.perf_counter() - began
        if done.returncode not in (0, 3):
            raise RuntimeError(f"madoguchi reconcile exited {done.returncode}: {done.stderr}")
        found = json.loads(done.stdout)
        return {"value": seconds, "findings": found["open"], "exit": done.returncode}


async def measure(
    server: Server,
    http: httpx.AsyncClient,
    built: Month,
    runs: int,
    samples: tuple[int, int],
) -> dict[str, list[dict[str, Any]]]:
    """Each figure ``runs`` times, the requests taken in turns, after one of each not
    measured (the first imports the renderers and loads fonts)."""
    journal_samples, reconcile_samples = samples
    asks = Asks(server, http, built)
    await asks.page()
    await asks.file("xlsx")
    await asks.file("pdf")
    await asks.journal(1)
    asks.first_peak_mb = sum(_status_kb(pid, "VmHWM") for pid in server.pids()) * 1024 / MB
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in FIGURES}
    for _ in range(runs):
        found["report_html"].append(await asks.page())
        found["report_xlsx"].append(await asks.file("xlsx"))
        pdf, memory = await asks.pdf_memory()
        found["report_pdf"].append(pdf)
        found["report_pdf_memory"].append(memory)
        found["journal"].append(await asks.journal(journal_samples))
        found["reconcile_page"].append(await asks.reconcile_page(reconcile_samples))
        found["reconcile_cli"].append(await asyncio.to_thread(asks.reconcile_cli))
    return found
