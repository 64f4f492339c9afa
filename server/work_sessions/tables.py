"""Work session tables."""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.sites.tables import Site
from server.staff.tables import Staff


class WorkSession(Table, tablename="work_session"):
    """A site open for a window: planned → open → closed → locked.

    ``version`` grows with every change; offline edits carry the version they started from.
    """

    site = ForeignKey(references=Site, index=True)
    work_date = Date(index=True)
    planned_start = Timestamptz()
    planned_end = Timestamptz()
    status = Varchar(length=12, default="planned", index=True)
    actual_start = Timestamptz(null=True, default=None)
    actual_end = Timestamptz(null=True, default=None)
    notes = Text(default="")
    version = Integer(default=1)
    created_by = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class WorkSessionStaff(Table, tablename="work_session_staff"):
    """Who works a session, and as what: ``in_charge`` (責任者) or ``operator`` (従事者)."""

    work_session = ForeignKey(references=WorkSession, on_delete=OnDelete.cascade, index=True)
    staff = ForeignKey(references=Staff, index=True)
    duty = Varchar(length=12)


class WorkSessionRevision(Table, tablename="work_session_revision"):
    """One change of a work session: the names of the fields it changed (JSON list), by whom,
    from which device. Lets an edit made from an older version find what changed since."""

    work_session = ForeignKey(references=WorkSession, on_delete=OnDelete.cascade, index=True)
    version = Integer()
    fields = Text()
    actor_id = Integer(null=True, default=None)
    device_id = Varchar(length=64, null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())
    reason = Text(default="")  # a manager's stated reason (start on another day, reopen)


class CheckItem(Table, tablename="check_item"):
    """One line of the opening (``open``) or closing (``close``) checklist of a group of
    sites (``office``, ``outreach``, ``support``); retired lines stay for the records."""

    code = Varchar(length=40)
    site_group = Varchar(length=10)
    phase = Varchar(length=5)
    label_ja = Varchar(length=100)
    label_en = Varchar(length=100)
    sort_order = Integer(default=0)
    active = Boolean(default=True)


class SessionCheck(Table, tablename="session_check"):
    """What was checked when a work session started or finished: the checklist's codes
    done and not done (JSON lists), and at a fixed counter the card-stock count."""

    work_session = ForeignKey(references=WorkSession, on_delete=OnDelete.cascade, index=True)
    phase = Varchar(length=5)
    done = Text(default="[]")
    missing = Text(default="[]")
    stock_start = Integer(null=True, default=None)
    stock_received = Integer(null=True, default=None)
    stock_issued = Integer(null=True, default=None)
    stock_spoiled = Integer(null=True, default=None)
    stock_end = Integer(null=True, default=None)
    actor_id = Integer(null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())
