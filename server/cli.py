"""The ``madoguchi`` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from server.settings import Settings, SettingsError

DESCRIPTION = """\
Madoguchi: field-operations log for My Number card counters and venues.
Settings come from MADOGUCHI_* environment variables (see README.md)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="madoguchi", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "serve",
        help="serve the web app on MADOGUCHI_HOST:MADOGUCHI_PORT (run migrate first)",
        description="Serve the web app with uvicorn. Stops with Ctrl-C.",
    )
    commands.add_parser(
        "migrate",
        help="bring the database schema up to date (safe to run again)",
        description="Apply every Piccolo migration not yet applied to MADOGUCHI_DATABASE_URL.",
    )
    down = commands.add_parser(
        "migrate-back",
        help="undo migrations (for development and tests)",
        description="Undo migrations down to MIGRATION_ID; 'all' empties the schema.",
    )
    down.add_argument("migration_id", nargs="?", default="all", metavar="MIGRATION_ID")
    commands.add_parser(
        "demo",
        help="load realistic demo data (safe to run again)",
        description="Add demo venues and, as features land, a realistic week of field data.",
    )
    return parser


async def _migrate(settings: Settings) -> bool:
    from server import db, migrate

    engine = db.make_engine(settings.database)
    db.bind_engine(engine)
    await db.start(engine, settings.database)
    try:
        return await migrate.forwards()
    finally:
        await db.stop(engine)


async def _demo(settings: Settings) -> list[str]:
    from server import db, demo

    db.bind_engine(db.make_engine(settings.database))
    return await demo.load_demo()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns:
        The exit status.
    """
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"madoguchi: {error}", file=sys.stderr)
        return 2
    from server.migrate import use_piccolo_conf

    use_piccolo_conf()
    if args.command == "serve":
        import uvicorn

        url = f"http://{settings.server.host}:{settings.server.port}/"
        print(f"Madoguchi is serving on {url}", flush=True)
        uvicorn.run(
            "server.app:create_app_from_env",
            factory=True,
            host=settings.server.host,
            port=settings.server.port,
            workers=settings.server.workers,
            access_log=False,
            log_level=settings.log_level.lower(),
        )
        return 0
    if args.command == "migrate":
        return 0 if asyncio.run(_migrate(settings)) else 1
    if args.command == "migrate-back":
        from server import migrate

        return 0 if asyncio.run(migrate.backwards(args.migration_id)) else 1
    if args.command == "demo":
        added = asyncio.run(_demo(settings))
        print(f"demo data loaded ({len(added)} venues added)")
        return 0
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
