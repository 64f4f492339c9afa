"""Per-field last-writer-wins for documents (incidents, work sessions).

An edit names the version it was made from. Fields another device (or a form) changed
since that version are not overwritten: a synced edit keeps both values as a conflict for a
supervisor; a form, whose user can reload and retry, is refused. Fields nobody touched
since are applied. A device's own earlier edits do not count: a tablet editing twice
offline from one rendered version saw its own first edit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from server.common.errors import OpRejected
from server.messages import N_
from server.ops.context import ApplyContext, Conflict


def jsonable(value: Any) -> Any:
    """A field value as conflict records and revisions keep it (times as ISO text)."""
    return value.isoformat() if isinstance(value, dt.datetime) else value


def touched_since(
    revisions: Iterable[tuple[Iterable[str], str | None]], device_id: str | None
) -> set[str]:
    """Fields changed by the given later revisions ``(fields, device)``, other devices' only."""
    found: set[str] = set()
    for fields, by_device in revisions:
        if device_id is None or by_device != device_id:
            found.update(fields)
    return found


def split_conflicts(
    changes: dict[str, list[Any]], touched: set[str], context: ApplyContext
) -> list[Conflict]:
    """Take the fields changed since the edit's base out of ``changes``.

    Args:
        changes: Field → ``[current value, wanted value]``; clashing fields are removed.
        touched: Fields changed since the edit's base version by someone else.
        context: Whether conflicts are recorded (synced ops) or refused (forms).

    Returns:
        The conflicts, each with both values.

    Raises:
        OpRejected: A clash, for an edit that does not record conflicts.
    """
    clash = sorted(touched & set(changes))
    if clash and not context.record_conflicts:
        raise OpRejected(
            "conflict",
            N_("Someone else changed this field meanwhile. Reload and try again."),
            field=clash[0],
        )
    conflicts = []
    for name in clash:
        server_value, incoming = changes.pop(name)
        conflicts.append(
            Conflict(
                field=name, server_value=jsonable(server_value), incoming_value=jsonable(incoming)
            )
        )
    return conflicts
