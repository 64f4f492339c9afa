"""Reconciliation tables."""

from piccolo.columns import Date, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class DeviceDayReport(Table, tablename="device_day_report"):
    """A device's own account of one day: how many ops it made and a digest of their ids.

    ``key`` is ``<device>:<day>``; a later report for the same day replaces the earlier one.
    """

    key = Varchar(length=60, unique=True)
    device_uid = Varchar(length=36, index=True)
    day = Date(index=True)
    op_count = Integer()
    digest = Varchar(length=64)
    reported_at = Timestamptz(default=TimestamptzNow())
