"""Every domain's op types as the transport decodes them: one tagged union, and the
:class:`Unreadable` stand-in for an op that breaks its types (refused alone, so one bad op
never blocks the ones behind it). The types themselves live in each domain's ``ops.py``."""

from __future__ import annotations

import msgspec

from server.headcounts.ops import (
    AddCategory,
    AddHeadcount,
    HeadcountAdd,
    HeadcountCategoryAdd,
    HeadcountCategorySetActive,
    SetCategoryActive,
)
from server.incidents.ops import (
    CreateIncident,
    IncidentCategory,
    IncidentCreate,
    IncidentStatus,
    IncidentUpdate,
    Severity,
    UpdateIncident,
)
from server.ops.envelope import EARLIEST, LATEST, Moment, OpBase, Payload
from server.sites.ops import AddVenue, RetireVenue, SiteAddVenue, SiteRetire
from server.work_sessions.ops import (
    AssignStaff,
    CloseWorkSession,
    OpenWorkSession,
    PlanWorkSession,
    ReopenWorkSession,
    UnassignStaff,
    UpdateWorkSession,
    WorkSessionAssign,
    WorkSessionClose,
    WorkSessionOpen,
    WorkSessionPlan,
    WorkSessionReopen,
    WorkSessionUnassign,
    WorkSessionUpdate,
)

Op = (
    SiteAddVenue
    | SiteRetire
    | WorkSessionPlan
    | WorkSessionAssign
    | WorkSessionUnassign
    | WorkSessionOpen
    | WorkSessionClose
    | WorkSessionReopen
    | WorkSessionUpdate
    | HeadcountAdd
    | HeadcountCategoryAdd
    | HeadcountCategorySetActive
    | IncidentCreate
    | IncidentUpdate
)


class Unreadable(msgspec.Struct, frozen=True, kw_only=True):
    """An op in a batch that breaks its types: refused alone with ``reason`` (msgspec's
    account of the field at fault), its text kept for review with any My Number masked."""

    seq: int
    op_id: str | None = None
    device_id: str | None = None
    actor_id: int | None = None
    client_time: None = None
    base_version: None = None
    kind: str = ""
    reason: str = ""
    text: str = ""


__all__ = [
    "EARLIEST",
    "LATEST",
    "AddCategory",
    "AddHeadcount",
    "AddVenue",
    "AssignStaff",
    "CloseWorkSession",
    "CreateIncident",
    "HeadcountAdd",
    "HeadcountCategoryAdd",
    "HeadcountCategorySetActive",
    "IncidentCategory",
    "IncidentCreate",
    "IncidentStatus",
    "IncidentUpdate",
    "Moment",
    "Op",
    "OpBase",
    "OpenWorkSession",
    "Payload",
    "PlanWorkSession",
    "ReopenWorkSession",
    "RetireVenue",
    "SetCategoryActive",
    "Severity",
    "SiteAddVenue",
    "SiteRetire",
    "UnassignStaff",
    "Unreadable",
    "UpdateIncident",
    "UpdateWorkSession",
    "WorkSessionAssign",
    "WorkSessionClose",
    "WorkSessionOpen",
    "WorkSessionPlan",
    "WorkSessionReopen",
    "WorkSessionUnassign",
    "WorkSessionUpdate",
]
