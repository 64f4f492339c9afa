"""Incident reports (事故・トラブル報告書): one per incident, and their history of
submissions (each with the content it froze), returns and acknowledgements.

The tables are this file's own copies (migrations are history).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.column_types import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

ID = "2026-12-09T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "incident_report and incident_report_event"


class Incident(Table, tablename="incident"):
    uid = Varchar(length=40)


class IncidentReport(Table, tablename="incident_report"):
    incident = ForeignKey(references=Incident, on_delete=OnDelete.cascade, unique=True)
    status = Varchar(length=12, default="submitted")
    version = Integer(default=0)
    content = Text(default="{}")
    updated_at = Timestamptz()


class IncidentReportEvent(Table, tablename="incident_report_event"):
    report = ForeignKey(references=IncidentReport, on_delete=OnDelete.cascade, index=True)
    version = Integer()
    action = Varchar(length=12)
    content = Text(default="")
    reason = Text(default="")
    comment = Text(default="")
    actor_id = Integer(null=True, default=None)
    at = Timestamptz()


async def create():
    await IncidentReport.create_table()
    await IncidentReportEvent.create_table()


async def drop():
    await IncidentReportEvent.alter().drop_table()
    await IncidentReport.alter().drop_table()


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="madoguchi", description=DESCRIPTION)
    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
