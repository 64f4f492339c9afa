"""``python -m bench [--smoke] [--database-url URL ...] [--only FAMILY,...]``: measure, write.

Without ``--database-url`` both engines run: SQLite (files in a temporary folder) and the
PostgreSQL server at ``postgresql://postgres@127.0.0.1:5432/test``. Each gets throwaway
databases, created, migrated with ``madoguchi migrate`` and dropped at the end. A run
limited with ``--only`` writes ``results/partial.json`` and appends to no docs unless told.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import uvloop

from bench import figures, report
from bench.run import FAMILIES, run_engine, say
from bench.server import ROOT

DEFAULT_URLS = ("sqlite:///var/madoguchi.db", "postgresql://postgres@127.0.0.1:5432/test")
LATEST = ROOT / "bench" / "results" / "latest.json"
SMOKE = ROOT / "bench" / "results" / "smoke.json"
PARTIAL = ROOT / "bench" / "results" / "partial.json"
DOCS = ROOT / "docs" / "performance.md"
DOCS_HEADER = """# Performance

Measured by `make bench` (`python -m bench`); each run appends a section below (the
tables are generated: never edit them by hand, run the benchmark). What is measured and
how: `bench/README.md`. Reading notes under a run are written by hand.
"""


def _families(text: str) -> tuple[str, ...]:
    chosen = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in chosen if name not in FAMILIES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(FAMILIES)}")
    return chosen


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run (a check)")
    parser.add_argument(
        "--database-url",
        action="append",
        metavar="URL",
        help="an engine to measure: sqlite:///… or a PostgreSQL server URL (repeatable)",
    )
    parser.add_argument(
        "--only",
        type=_families,
        default=FAMILIES,
        metavar="FAMILY,...",
        help=f"measure only these, comma-separated: {', '.join(FAMILIES)}",
    )
    parser.add_argument("--output", type=Path, help="JSON file (default results/latest.json)")
    parser.add_argument(
        "--docs",
        type=Path,
        help="Markdown file to append to (default docs/performance.md; none with --smoke)",
    )
    return parser


async def _pg_version(url: str) -> str | None:
    try:
        connection = await asyncpg.connect(url, timeout=10)
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=30
    )
    return done.stdout.strip()


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    sizes = figures.Sizes.smoke() if args.smoke else figures.Sizes.full()
    urls = args.database_url or list(DEFAULT_URLS)
    pg_url = next((u for u in urls if u.startswith(("postgresql://", "postgres://"))), None)
    pg_version = await _pg_version(pg_url) if pg_url else None
    if pg_url and pg_version is None:
        raise SystemExit(f"bench: cannot reach PostgreSQL at {pg_url.split('@')[-1]}")
    seed = figures.seed_base()
    partial = set(args.only) != set(FAMILIES)
    sqlite_version = sqlite3.sqlite_version
    began = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="madoguchi-bench-"))
    results: dict[str, Any] = {
        "date": report.now_utc(),
        "mode": "smoke" if args.smoke else "full",
        "runs": sizes.runs,
        "seed": seed,
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "command": "python -m bench"
        + (" --smoke" if args.smoke else "")
        + ("" if not partial else f" --only {','.join(args.only)}"),
        "only": list(args.only),
        "machine": report.machine(pg_version),
        "server_time": "duration_ms of the server's JSON request log (stderr), matched by "
        "x-request-id; client times are kept beside them",
        "databases": {},
        "not_measured": report.NOT_MEASURED,
    }
    kept = False
    try:
        for url in urls:
            engine, block = await run_engine(url, folder, sizes, seed, args.only)
            block["version"] = (
                f"PostgreSQL {pg_version}" if engine == "PostgreSQL" else f"SQLite {sqlite_version}"
            )
            results["databases"][engine] = block
    except BaseException:
        kept = True
        say(f"failed; server logs kept in {folder}")
        raise
    finally:
        if not kept:
            shutil.rmtree(folder, ignore_errors=True)
    results["seconds"] = time.perf_counter() - began
    results["load_average_at_end"] = report.machine(None)["load_average_at_start"]
    return results


def main() -> int:
    """Run the benchmarks and write the results."""
    args = _parser().parse_args()
    os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")
    # uvloop, as the server runs: the harness shares the two cores with it.
    results = uvloop.run(_main(args))
    partial = set(args.only) != set(FAMILIES)
    output = args.output or (SMOKE if args.smoke else PARTIAL if partial else LATEST)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    docs = args.docs or (None if args.smoke or partial else DOCS)
    section = report.markdown(results)
    if docs is not None:
        if not docs.exists():
            docs.write_text(DOCS_HEADER, encoding="utf-8")
        with docs.open("a", encoding="utf-8") as handle:
            handle.write("\n" + section)
    print(section)
    say(f"results in {output}" + (f", section appended to {docs}" if docs else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
