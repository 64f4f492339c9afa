"""Where push time goes: ``python -m bench.profile [--database-url URL] [--ops N]``.

Runs ``madoguchi serve`` under cProfile on a throwaway database, pushes ``--ops`` headcount
ops from one device in batches of ``--batch``, stops the server gracefully so the profile
is written, and prints the functions with the most time (cumulative and own), plus how
many SQL statements each op cost. cProfile slows Python code down (roughly 1.5–2×); read
the shares, not the absolute times.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import pstats
import random
import shutil
import tempfile
import time
from pathlib import Path

from bench import data, figures
from bench.server import Server
from server import domains


async def _profile(url: str, ops: int, batch: int, folder: Path, keep: Path | None) -> str:
    domains.install()  # the field is planned through the services, in this process
    made = await data.make_field(url, folder, "benchprof")
    stats_path = keep or folder / "push.prof"
    server = Server(
        made.env, folder / "server-profile.log", wrap=["-m", "cProfile", "-o", str(stats_path)]
    )
    try:
        await server.start()
        http = await figures.signed_in_client(server, made)
        try:
            client = await figures.device(http, made, "bench profile")
            rng = random.Random(1)
            for _ in range(ops):
                client.enqueue("headcount.add", made.headcount(rng))
            began = time.perf_counter()
            await client.sync(batch, within=600)
            elapsed = time.perf_counter() - began
        finally:
            await http.aclose()
        await server.stop(graceful=True)
    finally:
        await server.stop()
        data.drop_field(made)
    out = io.StringIO()
    stats = pstats.Stats(str(stats_path), stream=out)
    out.write(f"{ops} ops in batches of {batch}: {elapsed:.2f} s ({ops / elapsed:.0f} ops/s)\n")
    # A coroutine's every resumption counts as a call in cProfile; ``compile_string`` is a
    # plain function Piccolo calls once per statement it sends, from ``run_querystring``.
    statements = sum(
        calls[1]
        for key, value in stats.stats.items()  # type: ignore[attr-defined]
        if key[2] == "compile_string"
        for caller, calls in value[4].items()
        if caller[2] == "run_querystring"
    )
    out.write(f"SQL statements sent by Piccolo: {statements} ({statements / ops:.1f} per op)\n")
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--database-url", default="sqlite:///var/madoguchi.db")
    parser.add_argument("--ops", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="keep the .prof file here")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="madoguchi-profile-"))
    try:
        print(asyncio.run(_profile(args.database_url, args.ops, args.batch, folder, args.keep)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
