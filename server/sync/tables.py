"""Devices, and the synced ops a supervisor must look at (rejected ones, conflicts)."""

from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.staff.tables import Staff


class Device(Table, tablename="device"):
    """A registered tablet or browser. ``high_water`` is the last ``seq`` applied from it;
    it moves in the same transaction as the ops, so a batch counts exactly once.

    ``label`` is its name (「アクタ西宮ステーション 2号機」): by default the ``site`` whose
    field page registered it and the first ``number`` free there; managers rename it.
    ``last_user`` pushed from it last, at ``last_seen_at``."""

    uid = Varchar(length=36, unique=True)
    label = Varchar(length=100, default="")
    registered_by = ForeignKey(references=Staff, index=True)
    high_water = BigInt(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    site = Integer(null=True, default=None)
    number = Integer(null=True, default=None)
    last_user = Integer(null=True, default=None)


class SyncIssue(Table, tablename="sync_issue"):
    """A synced op that was not simply applied: rejected (with the reason) or in conflict
    (with both values). Kept for supervisors, never dropped, with any My Number masked.

    ``message`` is the refusal's English message id and ``params`` its values (JSON), so a
    page shows the reason in its own language. ``uploaded_by``: the supervisor who applied
    an exported file holding the op. A supervisor settles it (``resolution`` accepted or
    dismissed, by whom, when, why); ``resolved`` says it is settled."""

    device_uid = Varchar(length=36, index=True)
    seq = BigInt()
    op_id = Varchar(length=40, index=True)
    op_type = Varchar(length=40)
    status = Varchar(length=10, index=True)
    code = Varchar(length=40)
    field = Varchar(length=60, default="")
    entity = Varchar(length=60, default="")
    base_version = Integer(null=True, default=None)
    server_value = Text(default="")
    incoming_value = Text(default="")
    op = Text()
    actor_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    resolved = Boolean(default=False)
    message = Text(default="")
    params = Text(default="{}")
    uploaded_by = Integer(null=True, default=None)
    resolution = Varchar(length=10, default="")
    resolved_by = Integer(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    resolution_note = Text(default="")
