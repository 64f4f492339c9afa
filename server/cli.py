"""The ``madoguchi`` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Sequence

from server.auth.policy import ROLES
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
    invite = commands.add_parser(
        "invite",
        help="print a one-time link that lets a person create their passkey",
        description="Create an invite (the first manager's way in) and print its one-time URL.",
    )
    invite.add_argument("--name", required=True, help="the person's display name")
    invite.add_argument("--role", required=True, choices=ROLES, help="their role")
    invite.add_argument("--hours", type=int, default=None, help="lifetime (default 24)")
    audit = commands.add_parser(
        "audit",
        help="audit log tools: `audit verify` checks the hash chain",
        description="Audit log tools.",
    )
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_commands.add_parser(
        "verify",
        help="walk the chain; exit 1 naming the first broken entry",
        description="Recompute every entry's hash and link; exit 1 at the first broken one.",
    )
    commands.add_parser(
        "demo",
        help="load realistic demo data (safe to run again)",
        description="Add demo venues and, as features land, a realistic month of field data.",
    )
    return parser


@contextlib.asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[None]:
    """The app's engine, bound and started for one command, and stopped after it.

    Started, so that PostgreSQL's queries share a pool: without one every statement opened
    a connection of its own (``demo``'s thousands of taps took over two minutes).
    """
    from server import db

    engine = db.make_engine(settings.database)
    db.bind_engine(engine)
    await db.start(engine, settings.database)
    try:
        yield
    finally:
        await db.stop(engine)


async def _migrate(settings: Settings) -> bool:
    from server import migrate

    async with _database(settings):
        return await migrate.forwards()


async def _invite(settings: Settings, name: str, role: str, hours: int | None) -> str:
    from server.auth import service

    async with _database(settings):
        created = await service.create_invite(
            auth=settings.auth, role=role, display_name=name, hours=hours
        )
    return f"{settings.auth.public_url}/invite/{created.token}"


async def _audit_verify(settings: Settings) -> int:
    from server.audit import service

    async with _database(settings):
        result = await service.verify()
    if result.ok:
        print(f"audit chain ok: {result.checked} entries")
        return 0
    print(
        f"audit chain broken at entry {result.broken_seq} ({result.reason}); "
        f"{result.checked} entries before it hold",
        file=sys.stderr,
    )
    return 1


async def _demo(settings: Settings) -> dict[str, int]:
    from server import demo, domains

    domains.install()
    async with _database(settings):
        return await demo.load_demo(settings)


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
        print(
            f"Madoguchi is serving on {url} (open {settings.auth.public_url}/ for passkeys)",
            flush=True,
        )
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
    if args.command == "invite":
        from server.auth.schemas import AuthError

        try:
            url = asyncio.run(_invite(settings, args.name, args.role, args.hours))
        except AuthError as error:
            print(f"madoguchi: {error.message}", file=sys.stderr)
            return 2
        print(url)
        return 0
    if args.command == "audit":
        return asyncio.run(_audit_verify(settings))
    if args.command == "demo":
        added = asyncio.run(_demo(settings))
        print("demo data loaded: " + ", ".join(f"{n} {what}" for what, n in added.items()))
        return 0
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
