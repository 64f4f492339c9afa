"""Audit tables."""

from piccolo.columns import BigInt, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class AuditEvent(Table, tablename="audit_event"):
    """One audited action. ``hash`` covers every other field and the previous entry's hash.

    ``detail`` is canonical JSON of ids, codes and counts only: never names or free text.
    """

    seq = BigInt(unique=True)
    occurred_at = Timestamptz()
    actor_id = Integer(null=True, default=None)
    device_id = Varchar(length=64, null=True, default=None)
    action = Varchar(length=60, index=True)
    target = Varchar(length=120, default="")
    detail = Text(default="{}")
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)


class AuditHead(Table, tablename="audit_head"):
    """The chain's end: one row. Writers lock it, so appends are serialized on every engine,
    and it lets ``verify`` notice entries deleted from the end."""

    seq = BigInt(default=0)
    hash = Varchar(length=64)
