"""Site table."""

from piccolo.columns import Boolean, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Site(Table, tablename="site"):
    """A place where the contract's work happens.

    ``kind`` is ``office`` (main counters), ``branch`` (分室) or ``outreach_venue``
    (出張申請会場). The five fixed sites are seeded by the first migration with ``fixed``
    set; outreach venues are added by managers and retired, never deleted. ``venue_kind``
    (university, commercial, community_hall, other) describes an outreach venue.
    """

    code = Varchar(length=40, unique=True)
    name_ja = Varchar(length=200)
    name_en = Varchar(length=200)
    address = Text(default="")
    kind = Varchar(length=20, index=True)
    venue_kind = Varchar(length=20, default="")
    notes = Text(default="")
    fixed = Boolean(default=False)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    retired_at = Timestamptz(null=True, default=None)
