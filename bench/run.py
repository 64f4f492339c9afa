"""One engine's benchmarks, start to end, on throwaway databases it creates and drops."""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench import data, devices, field_page, figures, month, report, reports
from bench.server import Server
from server import domains
from server.common.clock import JST
from server.reports.service import month_before

FAMILIES = ("push", "pull", "devices", "field_page", "reports")  # what ``--only`` can pick
DEVICE_WORKERS = 2
PUSH_CONFIGS = ((100, 1), (500, 1), (100, 20), (500, 20))
MAX_HISTORY_BUILD_S = 240.0  # the largest history is built only when it looks this quick


def say(message: str) -> None:
    """Progress on stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def repeat(
    runs: int, measure: Callable[[int], Awaitable[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """``runs`` measurements, each with its own seed offset."""
    return [await measure(i) for i in range(runs)]


async def _push_family(
    base_url: str, folder: Path, sizes: figures.Sizes, seed: int, engine: str, notes: list[str]
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    made = await data.make_field(base_url, folder, "bench")
    server = Server(made.env, folder / f"server-{engine}-push.log")
    try:
        await server.start()
        # Warm-up (not measured): first requests import code paths and fill caches.
        await figures.push_ingest(server, made, batch=100, devices=1, per_device=100, seed=seed)
        for batch, devices in PUSH_CONFIGS:
            per_device = sizes.push_ops_one_device if devices == 1 else sizes.push_ops_per_device_20
            say(f"{engine}: push, batches of {batch}, {devices} device(s), {per_device} ops each")

            async def one(
                i: int, batch: int = batch, devices: int = devices, per_device: int = per_device
            ) -> dict[str, Any]:
                return await figures.push_ingest(
                    server,
                    made,
                    batch=batch,
                    devices=devices,
                    per_device=per_device,
                    seed=seed + 100 * i + batch + devices,
                )

            found[f"push_b{batch}_d{devices}"] = await repeat(sizes.runs, one)
        say(f"{engine}: replay of a {sizes.replay_batch}-op batch")
        found["replay"] = await repeat(
            max(sizes.runs, 3) if sizes.runs > 1 else 1,
            lambda i: figures.replay(server, made, batch=sizes.replay_batch, seed=seed + i),
        )
        say(f"{engine}: backlog of {sizes.backlog_ops} ops")
        found["backlog"] = await repeat(
            sizes.runs,
            lambda i: figures.backlog(server, made, ops=sizes.backlog_ops, seed=seed + i),
        )
        say(f"{engine}: wire size")
        found["wire"] = await repeat(
            sizes.runs, lambda i: figures.wire(server, made, seed=seed + i)
        )
    finally:
        await server.stop()
        data.drop_field(made)
    log = server.log_path.read_text(encoding="utf-8", errors="replace")
    locked = log.count("database is locked")
    for name, runs in found.items():
        errors = sum(int(r.get("server_errors", 0)) for r in runs)
        if errors:
            notes.append(
                f"`{name}`: {errors} push answers were 5xx over {len(runs)} run(s) (retried "
                "with back-off, as a tablet does; the time includes them)."
                + (f" The server log says 'database is locked' {locked} times." if locked else "")
            )
    return found


async def _pull_family(
    base_url: str, folder: Path, sizes: figures.Sizes, seed: int, engine: str, notes: list[str]
) -> dict[str, Any]:
    """Pulls with history growing in one database, each level's pulls taken in turns with
    the same pulls from a second database that never gets any history (the ratio's
    reference, measured at the same moments: :func:`bench.figures.alternating_pulls`)."""
    import random

    found: dict[str, Any] = {}
    rng = random.Random(seed)
    opened: list[tuple[data.Field, Server, httpx.AsyncClient | None]] = []
    try:
        # Each field is made, then signed in to, before the next: making one binds this
        # process's tables to it, and sign_in writes through them.
        sources = []
        for label in ("benchpull", "benchbare"):
            made = await data.make_field(base_url, folder, label)
            server = Server(made.env, folder / f"server-{engine}-{label}.log")
            opened.append((made, server, None))
            await server.start()
            http = await figures.signed_in_client(server, made)
            opened[-1] = (made, server, http)
            sources.append((made, server, http))
        (made, server, http), (bare, bare_server, bare_http) = sources
        bare_before, bare_after = await data.add_tail(bare, sizes.page)
        bare_empty = figures.PullFrom(bare_server, bare_http, bare_after, 0)
        bare_page = figures.PullFrom(bare_server, bare_http, bare_before, sizes.page)
        history = 0
        levels = list(sizes.history)
        if sizes.history_max:
            levels.append(sizes.history_max)
        build_rate = 0.0  # rows per second of the last build
        for level in levels:
            if level == sizes.history_max and level not in sizes.history:
                estimate = (level - history) / build_rate if build_rate else 0.0
                if estimate > MAX_HISTORY_BUILD_S:
                    notes.append(
                        f"History of {level:,} rows not built: estimated {estimate:.0f} s "
                        f"(over {MAX_HISTORY_BUILD_S:.0f} s) at the rate of the last build."
                    )
                    continue
            say(f"{engine}: building history to {level:,} rows")
            began = time.perf_counter()
            await data.add_history(made, level - history, rng)
            built = time.perf_counter() - began
            if level > history:
                build_rate = (level - history) / built
                notes.append(
                    f"History {history:,} → {level:,} rows written in bulk in {built:.1f} s."
                )
            history = level
            before, after = await data.add_tail(made, sizes.page)
            empty_from = figures.PullFrom(server, http, after, 0)
            page_from = figures.PullFrom(server, http, before, sizes.page)
            say(f"{engine}: pulls with {level:,} rows of history")
            # Warm-up: the first pulls after a bulk load read pages from disk.
            for source in (empty_from, bare_empty):
                await figures.pull_samples(source, sizes.page, 3)
            for source in (page_from, bare_page):
                await figures.pull_samples(source, sizes.page, 1)
            empty: list[dict[str, float]] = []
            page: list[dict[str, float]] = []
            for _ in range(sizes.runs):
                for runs, source, reference, samples in (
                    (empty, empty_from, bare_empty, sizes.pull_samples_empty),
                    (page, page_from, bare_page, sizes.pull_samples_page),
                ):
                    if level == 0:
                        runs.append(await figures.pull_samples(source, sizes.page, samples))
                        continue
                    run, bare_run = await figures.alternating_pulls(
                        [source, reference], sizes.page, samples
                    )
                    run["ceiling"] = bare_run["value"]
                    run["ratio"] = run["value"] / bare_run["value"]
                    run["ceiling_server_median_ms"] = bare_run["server_median_ms"]
                    runs.append(run)
            found[f"pull_empty_h{level}"] = empty
            found[f"pull_page_h{level}"] = page
    finally:
        for made, server, client in opened:
            if client is not None:
                await client.aclose()
            await server.stop()
            data.drop_field(made)
    notes.append(
        "Pulls with history: each run's pulls were taken in turns, one by one, with the "
        "same pulls from a database with no history, served by a server of its own; its "
        "p99 is the ceiling column and the ratio's reference."
    )
    return found


async def _devices_family(
    base_url: str, folder: Path, sizes: figures.Sizes, seed: int, engine: str, notes: list[str]
) -> dict[str, Any]:
    made = await data.make_field(base_url, folder, "benchdev")
    server = Server(made.env, folder / f"server-{engine}-devices.log", workers=DEVICE_WORKERS)
    load = devices.Load(
        devices=sizes.devices,
        batch=sizes.devices_batch,
        period_s=sizes.devices_period_s,
        seconds=sizes.devices_seconds,
    )
    try:
        await server.start()
        # Warm-up (not measured): each worker's first requests import code paths.
        await figures.push_ingest(server, made, batch=50, devices=4, per_device=50, seed=seed)
        say(
            f"{engine}: {load.devices} devices, {DEVICE_WORKERS} workers, "
            f"{load.seconds:g} s of load"
        )
        runs = await repeat(
            sizes.runs, lambda i: devices.many_devices(server, made, load, seed + i)
        )
    finally:
        await server.stop()
        data.drop_field(made)
    notes.extend(devices.describe(run, engine) for run in runs)
    return {f"devices_w{DEVICE_WORKERS}": runs}


async def _field_page_family(
    base_url: str, folder: Path, sizes: figures.Sizes, seed: int, engine: str, notes: list[str]
) -> dict[str, Any]:
    if not field_page.CHROMIUM.exists():
        notes.append(
            f"Field page not measured: no Chromium at {field_page.CHROMIUM} (`make browser`)."
        )
        return {}
    made = await data.make_field(base_url, folder, "benchpage")
    server = Server(made.env, folder / f"server-{engine}-page.log")
    try:
        await server.start()
        say(f"{engine}: field page in Chromium, {sizes.runs} run(s)")
        found = await field_page.field_page(
            server, made, runs=sizes.runs, reloads=sizes.field_reloads, taps=sizes.field_taps
        )
    finally:
        await server.stop()
        data.drop_field(made)
    first = found["field_bytes"][0]
    listed = ", ".join(
        f"`{r['url']}` {r['wire_bytes']:,}"
        + (" (sent uncompressed)" if r["encoding"] == "none" else "")
        for r in first["resources"]
    )
    notes.append(
        f"Field page bytes on the wire ({len(first['resources'])} resources, "
        f"{first['wire_bytes']:,} B; {first['page_wire_bytes']:,} B of it asked for by the "
        f"page itself, the rest by its service worker; {first['uncompressed_bytes']:,} B "
        f"decoded; {first['gzip6_bytes']:,} B if every one were gzipped at level 6): {listed}."
    )
    return found


async def _reports_family(
    base_url: str, folder: Path, sizes: figures.Sizes, seed: int, engine: str, notes: list[str]
) -> dict[str, Any]:
    """Last month at ``report_sites`` sites, built in bulk, then its report and journal."""
    import random

    made = await data.make_field(base_url, folder, "benchreport")
    server = Server(made.env, folder / f"server-{engine}-reports.log")
    http: httpx.AsyncClient | None = None
    try:
        first = month_before(dt.datetime.now(JST).date().replace(day=1))
        say(
            f"{engine}: building {first:%Y-%m}, {sizes.report_increments:,} increments at "
            f"{sizes.report_sites} sites"
        )
        built = await month.build(
            made,
            first,
            (sizes.report_sites, sizes.report_increments, sizes.report_previous),
            random.Random(seed),
        )
        notes.append(reports.describe(built, engine))
        await server.start()
        http = await figures.signed_in_client(server, made)
        say(f"{engine}: monthly report, journal and reconciliation, {sizes.runs} run(s)")
        samples = (sizes.journal_samples, sizes.reconcile_samples)
        found = await reports.measure(server, http, built, sizes.runs, samples)
    finally:
        if http is not None:
            await http.aclose()
        await server.stop()
        data.drop_field(made)
    notes.append(reports.MEMORY_NOTE)
    return found


STEPS = {
    "push": ("push, replay, backlog, wire", _push_family),
    "pull": ("pull", _pull_family),
    "devices": ("many devices", _devices_family),
    "field_page": ("field page", _field_page_family),
    "reports": ("monthly report, journal and reconciliation", _reports_family),
}


async def run_engine(
    base_url: str,
    folder: Path,
    sizes: figures.Sizes,
    seed: int,
    only: tuple[str, ...] = FAMILIES,
) -> tuple[str, dict[str, Any]]:
    """The figures of ``only`` (every family by default) on one engine.

    Returns:
        The engine's name and its results block.
    """
    domains.install()  # the harness plans sessions through the services, in this process
    engine = "PostgreSQL" if data.is_postgres(base_url) else "SQLite"
    notes: list[str] = []
    raw: dict[str, Any] = {}
    for family in FAMILIES:
        if family in only:
            what, step = STEPS[family]
            say(f"{engine}: {what}")
            raw.update(await step(base_url, folder, sizes, seed, engine, notes))
    smoke = sizes.runs == 1 and sizes.backlog_ops < 10_000
    summaries = {
        name: report.summarize(name, runs, full_size=not smoke) for name, runs in raw.items()
    }
    for name, figure in summaries.items():
        # Target 4 is set for PostgreSQL; on SQLite the figure is for information.
        if name.startswith("devices_") and engine != "PostgreSQL" and not smoke:
            figure["met"] = None
            figure["met_note"] = "for information"
    block = {"version": "", "figures": summaries, "notes": notes}
    return engine, block
