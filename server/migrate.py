"""Running Piccolo migrations from our CLI and tests."""

from __future__ import annotations

import os

APP_NAME = "madoguchi"


def use_piccolo_conf() -> None:
    """Tell Piccolo where its configuration lives, unless the caller already did."""
    os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")


async def forwards() -> bool:
    """Apply every migration not yet applied.

    Returns:
        True when Piccolo reports success.
    """
    from piccolo.apps.migrations.commands.forwards import run_forwards

    use_piccolo_conf()
    result = await run_forwards(APP_NAME, migration_id="all")
    return bool(result.success)


async def backwards(migration_id: str = "all") -> bool:
    """Undo migrations down to ``migration_id`` (``all`` undoes every one).

    Args:
        migration_id: Piccolo migration id, or ``all``.

    Returns:
        True when Piccolo reports success.
    """
    from piccolo.apps.migrations.commands.backwards import run_backwards

    use_piccolo_conf()
    result = await run_backwards(APP_NAME, migration_id=migration_id, auto_agree=True)
    return bool(result.success)
