"""The city's answer to a submitted document (a daily journal, an incident report): it is
acknowledged, or returned with a comment; either way an event of the version read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

import msgspec
from piccolo.table import Table

from server.common.errors import OpRejected
from server.messages import N_
from server.ops.context import Applied, ApplyContext

COMMENT_REQUIRED = N_("Say what should be changed.")
S = TypeVar("S", bound=msgspec.Struct)


class Document(NamedTuple):
    """Where a kind of document lives, and its refusals when it is not as the city read it."""

    table: type[Table]
    events: type[Table]
    link: str  # the events' column naming the document
    target: str  # the audit target's prefix
    not_submitted: OpRejected
    changed: OpRejected


async def review(
    document: Document,
    row: dict[str, Any] | None,
    version: int,
    comment: str,
    action: str,
    context: ApplyContext,
) -> Applied:
    """Mark ``row`` ``acknowledged`` or ``returned`` (a return says why) as read at
    ``version``, inside the op's transaction.

    Raises:
        OpRejected: Not submitted, changed since it was read, or a return without comment.
    """
    if row is None or row["status"] != "submitted":
        raise document.not_submitted.with_traceback(None)
    if row["version"] != version:
        raise document.changed.with_traceback(None)
    comment = comment.strip()
    if action == "returned" and not comment:
        raise OpRejected("comment_required", COMMENT_REQUIRED, field="comment")
    table, key = document.table, document.table._meta.primary_key
    await table.update({"status": action, "updated_at": context.now}).where(key == row["id"])
    await add_event(document, row["id"], version, action, context, comment=comment)
    return Applied(target=f"{document.target}:{row['id']}", entity_id=int(row["id"]))


async def add_event(
    document: Document, row_id: int, version: int, action: str, context: ApplyContext, **more: str
) -> None:
    """Keep a step of a document's history: ``action`` on ``version`` by the op's actor."""
    event = document.events()
    values = {"version": version, "action": action, "actor_id": context.actor.staff_id}
    for name, value in {**values, "at": context.now, document.link: row_id, **more}.items():
        setattr(event, name, value)
    await document.events.insert(event)


def row_as(kind: type[S], row: dict[str, Any], **values: Any) -> S:
    """``row`` as ``kind``: each field is the column of its name, unless ``values`` has it."""
    return kind(
        **{name: values[name] if name in values else row[name] for name in kind.__struct_fields__}
    )


async def history(
    document: Document, row_id: int, kind: type[S], **decoded: Callable[[dict[str, Any]], Any]
) -> list[S]:
    """A document's history, oldest first, each event as ``kind`` (:func:`row_as`): a field
    named in ``decoded`` is worked out from the event's row, the others are its columns."""
    events = document.events
    rows = await (
        events.select()
        .where(getattr(events, document.link) == row_id)
        .order_by(events._meta.primary_key)
    )
    return [row_as(kind, row, **{name: f(row) for name, f in decoded.items()}) for row in rows]
