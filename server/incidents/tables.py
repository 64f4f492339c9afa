"""Incident tables."""

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.sites.tables import Site
from server.work_sessions.tables import WorkSession


class Incident(Table, tablename="incident"):
    """An incident, complaint or accident. ``uid`` is made by the client, so a tablet can
    file one offline and edit it before the server has seen it."""

    uid = Varchar(length=40, unique=True)
    site = ForeignKey(references=Site, index=True)
    work_session = ForeignKey(references=WorkSession, null=True, default=None, index=True)
    category = Varchar(length=30)
    severity = Varchar(length=10, index=True)
    occurred_at = Timestamptz()
    description = Text(default="")
    immediate_action = Text(default="")
    reported_to_city_at = Timestamptz(null=True, default=None)
    recurrence_prevention = Text(default="")
    status = Varchar(length=10, default="open", index=True)
    version = Integer(default=1)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class IncidentRevision(Table, tablename="incident_revision"):
    """One edit: which fields changed from what to what (JSON), by whom, when."""

    incident = ForeignKey(references=Incident, on_delete=OnDelete.cascade, index=True)
    version = Integer()
    changes = Text()
    actor_id = Integer(null=True, default=None)
    device_id = Varchar(length=64, null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())
