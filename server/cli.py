"""The ``madoguchi`` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

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
    reconcile = commands.add_parser(
        "reconcile",
        help="list a day's open problems; exit 0 when none, 3 when some (for cron)",
        description=(
            "Print every open problem of a work date, as the reconciliation page lists it: "
            "Japanese lines, or --json in the shape README documents. Exit 0 when nothing "
            "is open, 3 when problems are open, 2 on bad arguments."
        ),
    )
    reconcile.add_argument("--date", required=True, type=_iso_date, help="work date, YYYY-MM-DD")
    reconcile.add_argument("--site", default=None, metavar="CODE", help="only this site")
    reconcile.add_argument("--json", action="store_true", help="print JSON (see README)")
    commands.add_parser(
        "demo",
        help="load realistic demo data (safe to run again)",
        description="Add demo venues and, as features land, a realistic month of field data.",
    )
    return parser


def _iso_date(text: str) -> dt.date:
    """A ``YYYY-MM-DD`` argument (argparse answers anything else with exit 2)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


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


def _japanese() -> Any:
    """The Japanese catalog (``babel.support.Translations``), read as the app reads it
    (:func:`server.web.i18n.load_catalogs`) without importing the web layer: a nightly
    run starts in well under a second."""
    import io
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    po = Path(__file__).resolve().parent / "locale" / "ja" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as source:
        catalog = read_po(source, locale="ja")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


async def _reconcile(settings: Settings, day: dt.date, site_code: str | None, as_json: bool) -> int:
    """Print the day's open problems (:func:`server.reconciliation.findings.find`)."""
    from server.reconciliation import findings, wording
    from server.sites import service as sites

    async with _database(settings):
        site_id = None
        if site_code is not None:
            known = {s.code: s.id for s in await sites.list_sites(include_retired=True)}
            if site_code not in known:
                print(f"madoguchi: no site with the code {site_code!r}", file=sys.stderr)
                return 2
            site_id = known[site_code]
        found = await findings.find(day, site_id, settings.field, dt.datetime.now(dt.UTC))
    gettext = _japanese().gettext
    if as_json:
        shape = wording.as_json(day, site_code, found, gettext)
        print(json.dumps(shape, ensure_ascii=False, indent=2))
    else:
        print("\n".join(wording.lines(day, found, gettext)))
    return 3 if found else 0


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
    if args.command == "reconcile":
        return asyncio.run(_reconcile(settings, args.date, args.site, args.json))
    if args.command == "demo":
        added = asyncio.run(_demo(settings))
        print("demo data loaded: " + ", ".join(f"{n} {what}" for what, n in added.items()))
        return 0
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
