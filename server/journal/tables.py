"""Journal tables: one journal per site and day, and what happened to it."""

from piccolo.columns import Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.incidents.tables import Incident
from server.sites.tables import Site


class Journal(Table, tablename="journal"):
    """A site's journal for one day (unique per site and day, migration m0017).

    ``status`` is ``submitted``, ``returned`` (by the city, with a comment) or
    ``acknowledged``; ``version`` counts its submissions. ``notes`` (特記事項) and
    ``handover`` (引継ぎ事項) are as last submitted.
    """

    site = ForeignKey(references=Site, index=True)
    day = Date()
    status = Varchar(length=12, default="draft")
    version = Integer(default=0)
    notes = Text(default="")
    handover = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())


class JournalEvent(Table, tablename="journal_event"):
    """A submission (with the figures it froze, as JSON, and the reason for a revision),
    a return (the city's comment) or an acknowledgement, of one version, by whom and when.
    Never changed: the journal's history."""

    journal = ForeignKey(references=Journal, on_delete=OnDelete.cascade, index=True)
    version = Integer()
    action = Varchar(length=12)
    figures = Text(default="")
    notes = Text(default="")
    handover = Text(default="")
    reason = Text(default="")
    comment = Text(default="")
    actor_id = Integer(null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())


class IncidentReport(Table, tablename="incident_report"):
    """An incident's report to the city (one per incident, migration m0019): ``status`` and
    ``version`` as a journal's; ``content`` (JSON, a ``ReportContent``) as last submitted."""

    incident = ForeignKey(references=Incident, on_delete=OnDelete.cascade, unique=True)
    status = Varchar(length=12, default="submitted")
    version = Integer(default=0)
    content = Text(default="{}")
    updated_at = Timestamptz(default=TimestamptzNow())


class IncidentReportEvent(Table, tablename="incident_report_event"):
    """A submission (with the content it froze), a return or an acknowledgement of one
    version of a report, by whom and when. Never changed: the report's history."""

    report = ForeignKey(references=IncidentReport, on_delete=OnDelete.cascade, index=True)
    version = Integer()
    action = Varchar(length=12)
    content = Text(default="")
    reason = Text(default="")
    comment = Text(default="")
    actor_id = Integer(null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())
