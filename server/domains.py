"""The composition root: every domain's op kinds (and the devices' own), installed into the
op registry (:mod:`server.ops.registry`) by whatever starts the app, the CLI or a test run."""

from __future__ import annotations

from server.auth import service as auth
from server.headcounts import service as headcounts
from server.incidents import service as incidents
from server.journal import service as journal
from server.ops import registry
from server.reconciliation import service as reconciliation
from server.sites import service as sites
from server.staff import service as staff
from server.sync import devices
from server.work_sessions import service as work_sessions


def install() -> None:
    """Install every domain's op kinds (again is harmless)."""
    registry.install(
        (
            *sites.KINDS,
            *work_sessions.KINDS,
            *headcounts.KINDS,
            *incidents.KINDS,
            *devices.KINDS,
            *reconciliation.KINDS,
            *auth.KINDS,
            *staff.KINDS,
            *journal.KINDS,
        )
    )
