"""Results: the figures' summaries, the machine, and a run's Markdown beside the previous run's."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NOT_MEASURED: list[str] = []  # figures of issue 6 with no measurement yet (none left)


@dataclass(frozen=True)
class Spec:
    """What a figure is and what it should reach."""

    label: str
    unit: str
    target: str
    met: Callable[[float, float | None], bool]


def push_spec(batch: int, devices: int) -> Spec:
    return Spec(
        f"Push ingest, batches of {batch}, {devices} device{'s' if devices > 1 else ''}",
        "ops/s",
        "ratio ≥ 0.40",
        lambda value, ratio: ratio is not None and ratio >= 0.40,
    )


def pull_spec(kind: str, history: int, limit_ms: float) -> Spec:
    what = "Empty pull" if kind == "empty" else "500-change pull page"
    if history == 0:
        return Spec(
            f"{what} p99 (server), no history",
            "ms",
            f"≤ {limit_ms:g} ms",
            lambda value, ratio: value <= limit_ms,
        )
    return Spec(
        f"{what} p99 (server), {history:,} rows of history",
        "ms",
        f"≤ {limit_ms:g} ms, ratio ≤ 1.5× (vs no history, in turns)",
        lambda value, ratio: value <= limit_ms and ratio is not None and ratio <= 1.5,
    )


def _at_most(label: str, unit: str, target: str, limit: float) -> Spec:
    return Spec(label, unit, target, lambda value, ratio: value <= limit)


_MONTH = "all sites, a month of 30 sites and ~1,000,000 counts"
REPORT_SPECS = {
    "report_html": _at_most(f"Monthly report page (server), {_MONTH}", "ms", "≤ 1 s", 1000),
    "report_xlsx": _at_most(f"Monthly report XLSX (server), {_MONTH}", "ms", "≤ 3 s", 3000),
    "report_pdf": _at_most(f"Monthly report PDF (server), {_MONTH}", "ms", "≤ 5 s", 5000),
    "report_pdf_memory": _at_most(
        "Monthly report PDF: server's peak resident memory while it renders (VmHWM)",
        "MB",
        "≤ 300 MB",
        300,
    ),
    "journal": _at_most(
        "Daily journal of the busiest site-day (server, median of each run's journals)",
        "ms",
        "≤ 50 ms",
        50,
    ),
    "reconcile_page": _at_most(
        "Reconciliation page of the busiest day, p99 (server), a month of 30 sites",
        "ms",
        "≤ 200 ms",
        200,
    ),
    "reconcile_cli": _at_most(
        "`madoguchi reconcile --json` for that day, wall time with start-up",
        "s",
        "≤ 1 s",
        1,
    ),
}


def spec_of(name: str) -> Spec:
    """The spec for a figure name (``push_b100_d20``, ``pull_page_h100000``, …)."""
    if name.startswith("push_"):
        batch, devices = name.removeprefix("push_b").split("_d")
        return push_spec(int(batch), int(devices))
    if name.startswith("pull_"):
        kind, history = name.removeprefix("pull_").split("_h")
        return pull_spec(kind, int(history), 5.0 if kind == "empty" else 20.0)
    if name == "replay":
        return Spec(
            "Replay of an applied batch (server ms; ceiling = first apply)",
            "ms",
            "ratio ≤ 0.20",
            lambda value, ratio: ratio is not None and ratio <= 0.20,
        )
    if name == "backlog":
        return Spec(
            "Backlog of queued ops synced end to end (batches of 500)",
            "s",
            "≤ 3 s (10,000 ops)",
            lambda value, ratio: value <= 3.0,
        )
    if name.startswith("devices_w"):
        workers = name.removeprefix("devices_w")
        return Spec(
            f"Many devices: p99 of every push and pull (client), {workers} server workers",
            "ms",
            "≤ 250 ms and zero errors (PostgreSQL)",
            lambda value, ratio: value <= 250,
        )
    if name == "field_bytes":
        return Spec(
            "Field page: everything it needs, gzip bytes on the wire",
            "KB",
            "≤ 60 KB (60,000 B)",
            lambda value, ratio: value <= 60,
        )
    if name == "field_reload":
        return Spec(
            "Field page: offline reload from the service worker to usable (median of reloads)",
            "ms",
            "≤ 500 ms",
            lambda value, ratio: value <= 500,
        )
    if name == "field_tap":
        return Spec(
            "Field page: offline tap to updated counter (median of taps)",
            "ms",
            "≤ 50 ms",
            lambda value, ratio: value <= 50,
        )
    if name in REPORT_SPECS:
        return REPORT_SPECS[name]
    if name == "wire":
        return Spec(
            "Wire: gzip bytes per headcount op in a 500-op batch",
            "B/op",
            "≤ 120 B",
            lambda value, ratio: value <= 120,
        )
    raise KeyError(name)


def summarize(name: str, runs: list[dict[str, Any]], *, full_size: bool = True) -> dict[str, Any]:
    """Median, min and max of each run's value (and ceiling, ratio) with the verdict."""
    spec = spec_of(name)
    out: dict[str, Any] = {"label": spec.label, "unit": spec.unit, "target": spec.target}
    for key in ("value", "ceiling", "ratio"):
        values = [float(r[key]) for r in runs if r.get(key) is not None]
        if values:
            out[key] = {
                "median": statistics.median(values),
                "min": min(values),
                "max": max(values),
            }
    value = out["value"]["median"]
    ratio = out["ratio"]["median"] if "ratio" in out else None
    # A figure whose runs counted errors (many devices) misses its target however fast.
    errors = sum(int(r.get("errors", 0)) for r in runs)
    out["met"] = bool(spec.met(value, ratio)) and not errors if full_size else None
    out["runs"] = runs
    return out


def machine(pg_version: str | None) -> dict[str, Any]:
    """Cores, memory, CPU, Python, SQLite and PostgreSQL versions."""
    memory_kb = 0
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version,
        "load_average_at_start": _load(),
    }


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def fmt(number: float | None) -> str:
    """A figure with the digits that mean something (three significant, thousands grouped)."""
    if number is None:
        return "—"
    if abs(number) >= 100:
        return f"{number:,.0f}"
    if abs(number) >= 10:
        return f"{number:.1f}"
    if abs(number) >= 0.1:
        return f"{number:.2f}"
    return f"{number:.2g}"


def _verdict(figure: dict[str, Any]) -> str:
    if figure.get("met_note"):
        return str(figure["met_note"])
    return {True: "met", False: "**not met**", None: "n/a (smoke sizes)"}[figure["met"]]


def _before(figure: dict[str, Any] | None) -> str:
    """A figure of the previous run, for the column beside this run's: median, ratio."""
    if figure is None:
        return "—"
    text = f"{fmt(figure['value']['median'])} {figure['unit']}"
    if figure.get("ratio"):
        text += f", ratio {fmt(figure['ratio']['median'])}"
    return text + (" (not met)" if figure.get("met") is False else "")


def _run_line(results: dict[str, Any]) -> str:
    dirty = " (with uncommitted changes)" if results.get("dirty") else ""
    return f"{results['date']}, commit `{results['commit']}`{dirty}"


def markdown(results: dict[str, Any], previous: dict[str, Any] | None = None) -> str:
    """The Markdown of a run for ``docs/performance.md``, with ``previous``'s medians (and
    ratios) in a column of their own: a change's before and after side by side."""
    info = results["machine"]
    before = (
        f"The **previous** column is the run of {_run_line(previous)} (load average "
        f"{previous['machine']['load_average_at_start']} at its start): its median and ratio."
        if previous
        else "No previous run: the **previous** column is empty."
    )
    lines = [
        f"## Latest run: {_run_line(results)}",
        "",
        f"Machine: {info['cores']} cores ({info['cpu']}), {info['memory_gib']} GiB memory, "
        f"{info['os']}; Python {info['python']}, SQLite {info['sqlite']}, "
        f"PostgreSQL {info['postgresql'] or 'not used'}; load average "
        f"{info['load_average_at_start']} at the start, {results.get('load_average_at_end')} at "
        "the end (other work on the machine skews figures). "
        f"Command: `{results['command']}` ({results['seconds']:.0f} s, {results['mode']}).",
        "",
        "Each figure is the median of "
        f"{results['runs']} run{'s' if results['runs'] != 1 else ''} (min and max beside it). "
        "Server times are the `duration_ms` of the server's JSON request log line, matched "
        f"to each request by its `x-request-id`. {before}",
    ]
    for engine, block in results["databases"].items():
        earlier = ((previous or {}).get("databases") or {}).get(engine, {}).get("figures", {})
        lines += [
            "",
            f"### {engine} ({block['version']})",
            "",
            "| figure | median | min | max | ceiling | ratio | target | met | previous |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, figure in block["figures"].items():
            value, ceiling, ratio = figure["value"], figure.get("ceiling"), figure.get("ratio")
            lines.append(
                f"| {figure['label']} | {fmt(value['median'])} {figure['unit']} "
                f"| {fmt(value['min'])} | {fmt(value['max'])} "
                f"| {fmt(ceiling['median']) if ceiling else '—'} "
                f"| {fmt(ratio['median']) if ratio else '—'} "
                f"| {figure['target']} | {_verdict(figure)} | {_before(earlier.get(name))} |"
            )
        for name in NOT_MEASURED:
            lines.append(f"| {name} | not measured yet | | | | | | | |")
        if block.get("notes"):
            # Long (every resource of the field page, every many-devices run): folded.
            lines += ["", f"<details><summary>Notes of the {engine} run</summary>", ""]
            lines += [f"- {note}" for note in block["notes"]]
            lines += ["", "</details>"]
    lines.append("")
    return "\n".join(lines)


def now_utc() -> str:
    """The date and time, UTC."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
