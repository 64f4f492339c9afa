"""Headcount tables."""

from piccolo.columns import Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.work_sessions.tables import WorkSession


class HeadcountCategory(Table, tablename="headcount_category"):
    """What is counted. ``site_group`` is ``outreach`` (venues) or ``office`` (counters)."""

    code = Varchar(length=40)
    site_group = Varchar(length=10, index=True)
    label_ja = Varchar(length=100)
    label_en = Varchar(length=100)
    sort_order = Integer(default=0)
    active = Boolean(default=True)


class Headcount(Table, tablename="headcount"):
    """One increment (+n, or a negative correction). Append-only: totals are sums.

    A log: ``work_session`` has no foreign key or index (migration m0009). The service
    checks the session, and the cell each count is added to, in the same statement,
    references it.
    """

    work_session = Integer(null=True, default=None)
    slot_start = Timestamptz()
    category = Varchar(length=40)
    delta = Integer()
    device_id = Varchar(length=64, null=True, default=None)
    actor_id = Integer(null=True, default=None)
    op_id = Varchar(length=40, null=True, default=None, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class HeadcountCell(Table, tablename="headcount_cell"):
    """The running sum of one (work session, slot, category): kept in the same transaction
    as the increments, so totals and pulls read a few cells instead of summing every count
    again. Unique on (work_session, slot_start, category) (migration m0007)."""

    work_session = ForeignKey(references=WorkSession, index=True)
    slot_start = Timestamptz()
    category = Varchar(length=40)
    n = Integer(default=0)
