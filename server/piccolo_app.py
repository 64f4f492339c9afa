"""The single Piccolo app: every table of every domain, and the migrations folder."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.audit.tables import AuditEvent, AuditHead
from server.auth.tables import (
    Invite,
    LoginSession,
    RateLimit,
    WebauthnChallenge,
    WebauthnCredential,
)
from server.headcounts.tables import Headcount, HeadcountCategory, HeadcountCell
from server.incidents.tables import Incident, IncidentRevision
from server.journal.tables import IncidentReport, IncidentReportEvent, Journal, JournalEvent
from server.reconciliation.tables import DeviceDayReport
from server.sites.tables import Site, SiteDay, SiteHours
from server.staff.tables import Staff
from server.sync.tables import Device, SyncIssue
from server.work_sessions.tables import (
    CheckItem,
    SessionCheck,
    WorkSession,
    WorkSessionRevision,
    WorkSessionStaff,
)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

APP_CONFIG = AppConfig(
    app_name="madoguchi",
    migrations_folder_path=str(MIGRATIONS),
    table_classes=[
        Site,
        SiteHours,
        SiteDay,
        Staff,
        WebauthnCredential,
        Invite,
        LoginSession,
        WebauthnChallenge,
        RateLimit,
        AuditEvent,
        AuditHead,
        WorkSession,
        WorkSessionStaff,
        WorkSessionRevision,
        CheckItem,
        SessionCheck,
        HeadcountCategory,
        Headcount,
        HeadcountCell,
        Incident,
        IncidentRevision,
        Journal,
        JournalEvent,
        IncidentReport,
        IncidentReportEvent,
        Device,
        SyncIssue,
        DeviceDayReport,
    ],
    migration_dependencies=[],
    commands=[],
)
