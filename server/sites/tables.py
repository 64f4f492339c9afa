"""Site tables: the sites, and the opening calendars of the fixed ones."""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Site(Table, tablename="site"):
    """A place where the contract's work happens.

    ``kind`` is ``office`` (main counters), ``branch`` (分室) or ``outreach_venue``
    (出張申請会場). The five fixed sites are seeded by the first migration with ``fixed``
    set; outreach venues are added by managers and retired, never deleted. ``venue_kind``
    (university, commercial, community_hall, other) describes an outreach venue, and
    ``venue_service`` what is done there: ``reception`` (出張申請受付, the card mailed) or
    ``support`` (出張申請サポート, collected later); it sets the categories counted.
    """

    code = Varchar(length=40, unique=True)
    name_ja = Varchar(length=200)
    name_en = Varchar(length=200)
    address = Text(default="")
    kind = Varchar(length=20, index=True)
    venue_kind = Varchar(length=20, default="")
    venue_service = Varchar(length=12, default="reception")
    notes = Text(default="")
    fixed = Boolean(default=False)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    retired_at = Timestamptz(null=True, default=None)


class SiteHours(Table, tablename="site_hours"):
    """A site's own opening hours on one day of the week, over its kind's default.

    ``weekday`` is 0 (Monday) to 6 (Sunday), or 7 for Japanese public holidays; ``opens``
    and ``closes`` are minutes after midnight (JST), both null when the site is closed.
    """

    site = ForeignKey(references=Site, on_delete=OnDelete.cascade, index=True)
    weekday = Integer()
    opens = Integer(null=True, default=None)
    closes = Integer(null=True, default=None)


class SiteDay(Table, tablename="site_day"):
    """One date a site differs from its week: closed, or open (with hours, or, with both
    null, for the hours its sessions are planned for). ``note`` says why."""

    site = ForeignKey(references=Site, on_delete=OnDelete.cascade, index=True)
    day = Date()
    is_open = Boolean(default=False)
    opens = Integer(null=True, default=None)
    closes = Integer(null=True, default=None)
    note = Text(default="")
