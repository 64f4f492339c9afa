"""Every full run kept as a JSON file in ``bench/results/history/``, and the generated part
of ``docs/performance.md``: replaced by each full run, the hand-written text around it kept.

``python -m bench.history [FIGURE ...]`` prints each figure's median (and ratio) run by run,
one table per engine: how a figure moved over the runs kept. ``--add FILE`` keeps a full
run made elsewhere (say, in a clean checkout of an earlier commit, for a before and after).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench import report
from bench.server import ROOT

HISTORY = ROOT / "bench" / "results" / "history"
LATEST = ROOT / "bench" / "results" / "latest.json"
DOCS = ROOT / "docs" / "performance.md"
BEGIN = "<!-- make bench: the generated part starts here; a full run replaces it -->"
END = "<!-- make bench: the generated part ends here; what follows is written by hand -->"
DOCS_HEADER = f"""# Performance

The latest full run of `make bench` (`python -m bench`), beside the run before it, then the
ledger of optimisations. What is measured and how: `bench/README.md`.

{BEGIN}
{END}

## Ledger

| optimisation | where | serves | to remove |
|---|---|---|---|
"""


def file_name(results: dict[str, Any]) -> str:
    """``2026-12-02T1425Z-c9f0f15.json`` for a run of that date and commit: names sort as
    the runs were made."""
    day, clock, _ = results["date"].split()
    return f"{day}T{clock.replace(':', '')}Z-{results['commit'] or 'unknown'}.json"


def dumps(results: dict[str, Any]) -> str:
    """A run as the history keeps it: all of it, compact (a run is ~60 KB this way)."""
    return json.dumps(results, ensure_ascii=False, separators=(",", ":")) + "\n"


def record(results: dict[str, Any], folder: Path = HISTORY) -> Path:
    """Keep a full run in the history."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(results)
    path.write_text(dumps(results), encoding="utf-8")
    return path


def kept(folder: Path = HISTORY) -> list[Path]:
    """The history's runs, oldest first."""
    return sorted(folder.glob("*.json"))


def previous(results: dict[str, Any], folder: Path = HISTORY) -> dict[str, Any] | None:
    """The newest kept run made before ``results`` (None if there is none)."""
    name = file_name(results)
    earlier = [path for path in kept(folder) if path.name < name]
    return json.loads(earlier[-1].read_text(encoding="utf-8")) if earlier else None


def generated(results: dict[str, Any], before: dict[str, Any] | None) -> str:
    """The generated part of the docs, markers included."""
    return f"{BEGIN}\n{report.markdown(results, before)}{END}"


def check_docs(path: Path) -> None:
    """Refuse, before a run starts, a docs file that has lost its markers: the run could
    not say where its tables go without overwriting hand-written text."""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
            raise SystemExit(f"bench: {path} needs its two markers, once each:\n{BEGIN}\n{END}")


def update_docs(text: str | None, results: dict[str, Any], before: dict[str, Any] | None) -> str:
    """``text`` (the docs, or None for a new file) with its generated part replaced by the
    run's; everything outside the markers stays as it was."""
    text = DOCS_HEADER if text is None else text
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return head + generated(results, before) + tail


def add(path: Path) -> Path:
    """Keep the full run in ``path`` in the history; the newest kept run becomes
    ``latest.json``, and the docs' tables are written again (this run's previous may have
    changed)."""
    results = json.loads(path.read_text(encoding="utf-8"))
    if results.get("mode") != "full" or "--only" in results.get("command", ""):
        raise SystemExit(f"bench: {path} is not a full run of every family")
    check_docs(DOCS)
    kept_at = record(results)
    newest = json.loads(kept()[-1].read_text(encoding="utf-8"))
    LATEST.write_text(json.dumps(newest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else None
    DOCS.write_text(update_docs(text, newest, previous(newest)), encoding="utf-8")
    return kept_at


def trend(figures: list[str], folder: Path = HISTORY) -> str:
    """Each figure's median (and ratio) in every kept run, a table per engine."""
    runs = [json.loads(path.read_text(encoding="utf-8")) for path in kept(folder)]
    lines: list[str] = []
    for engine in ("SQLite", "PostgreSQL"):
        names = figures or [
            name
            for run in runs[-1:]
            for name in run["databases"].get(engine, {}).get("figures", {})
        ]
        lines += [f"### {engine}", "", "| run | " + " | ".join(names) + " |"]
        lines.append("|---" * (len(names) + 1) + "|")
        for run in runs:
            found = run["databases"].get(engine, {}).get("figures", {})
            cells = []
            for name in names:
                figure = found.get(name)
                ratio = figure.get("ratio") if figure else None
                cells.append(
                    "—"
                    if figure is None
                    else report.fmt(figure["value"]["median"])
                    + (f" ({report.fmt(ratio['median'])})" if ratio else "")
                )
            lines.append(f"| {run['date'][:16]} `{run['commit']}` | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    """Print the history's trend of the figures asked for (all of them by default)."""
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__)
    parser.add_argument("figures", nargs="*", help="figure names, e.g. push_b100_d1 replay")
    parser.add_argument(
        "--add",
        type=Path,
        metavar="JSON",
        help="keep this full run in the history (then latest.json and the docs follow)",
    )
    args = parser.parse_args()
    if args.add:
        print(f"kept in {add(args.add)}; {LATEST.name} and {DOCS.name} follow the newest run")
        return 0
    print(trend(args.figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
