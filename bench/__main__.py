"""``python -m bench [--smoke] [--database-url URL ...] [--only FAMILY,...]``: measure, write.

Without ``--database-url`` both engines run: SQLite (files in a temporary folder) and the
PostgreSQL server at ``postgresql://postgres@127.0.0.1:5432/test``. Each gets throwaway
databases, created, migrated with ``madoguchi migrate`` and dropped at the end. A full run
of both engines writes ``results/latest.json``, keeps a copy in ``results/history/`` and
replaces the generated part of ``docs/performance.md`` (this run beside the previous one).
A run limited with ``--only`` or ``--database-url`` writes ``results/partial.json`` and
touches no docs unless told.
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

from bench import figures, history, report
from bench.run import FAMILIES, run_engine, say
from bench.server import ROOT

DEFAULT_URLS = ("sqlite:///var/madoguchi.db", "postgresql://postgres@127.0.0.1:5432/test")
LATEST = history.LATEST
SMOKE = ROOT / "bench" / "results" / "smoke.json"
PARTIAL = ROOT / "bench" / "results" / "partial.json"


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
    parser.add_argument(
        "--output",
        type=Path,
        help="JSON file (default results/latest.json for a full run of both engines, kept "
        "in results/history/ too; else results/partial.json)",
    )
    parser.add_argument(
        "--docs",
        type=Path,
        help="Markdown file whose generated part to replace (default docs/performance.md; "
        "none with --smoke, --only, --output or --database-url)",
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
    partial = set(args.only) != set(FAMILIES)
    # A full run of both engines on the default paths is the record: latest.json, the
    # history, the docs. Other runs are experiments: partial.json (or --output) only.
    recorded = not args.smoke and not partial and not args.output and not args.database_url
    docs = args.docs or (history.DOCS if recorded else None)
    if docs is not None:
        history.check_docs(docs)  # before the run, not after a quarter of an hour
    os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")
    # uvloop, as the server runs: the harness shares the two cores with it.
    results = uvloop.run(_main(args))
    output = args.output or (SMOKE if args.smoke else LATEST if recorded else PARTIAL)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    before = history.previous(results)
    if recorded:
        say(f"kept in {history.record(results)}")
    print(report.markdown(results, before))
    if docs is not None:
        text = docs.read_text(encoding="utf-8") if docs.exists() else None
        docs.write_text(history.update_docs(text, results, before), encoding="utf-8")
    say(f"results in {output}" + (f", tables in {docs}" if docs else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
