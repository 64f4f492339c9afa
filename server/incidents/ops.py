"""Incident ops: filing an incident and editing it (applied by the rules in ``service.py``)."""

from __future__ import annotations

from typing import ClassVar, Literal

import msgspec

from server.common.text import FreeText, Id, Uuid
from server.ops.envelope import Moment, OpBase, Payload

IncidentCategory = Literal[
    "complaint",
    "system_failure",
    "equipment_failure",
    "accident_injury",
    "personal_information",
    "unreasonable_demand",
    "lost_property",
    "other",
]


Severity = Literal["low", "medium", "high", "critical"]


IncidentStatus = Literal["open", "reported", "resolved", "closed"]


class CreateIncident(Payload, frozen=True, kw_only=True):
    """``incident.create``: a new incident, with a client-made ``uid``."""

    moments: ClassVar[tuple[str, ...]] = ("occurred_at",)

    uid: Uuid
    site_id: Id
    work_session_id: Id | None = None
    category: IncidentCategory
    severity: Severity
    occurred_at: Moment
    description: FreeText
    immediate_action: FreeText = ""


class IncidentCreate(OpBase, frozen=True, tag="incident.create"):
    """Op: file an incident."""

    payload: CreateIncident


class UpdateIncident(Payload, frozen=True, kw_only=True):
    """``incident.update``: change fields from ``base_version``; unset fields stay."""

    moments: ClassVar[tuple[str, ...]] = ("occurred_at", "reported_to_city_at")

    uid: Uuid
    category: IncidentCategory | msgspec.UnsetType = msgspec.UNSET
    severity: Severity | msgspec.UnsetType = msgspec.UNSET
    occurred_at: Moment | msgspec.UnsetType = msgspec.UNSET
    description: FreeText | msgspec.UnsetType = msgspec.UNSET
    immediate_action: FreeText | msgspec.UnsetType = msgspec.UNSET
    reported_to_city_at: Moment | msgspec.UnsetType | None = msgspec.UNSET
    recurrence_prevention: FreeText | msgspec.UnsetType = msgspec.UNSET
    status: IncidentStatus | msgspec.UnsetType = msgspec.UNSET


class IncidentUpdate(OpBase, frozen=True, tag="incident.update"):
    """Op: change an incident."""

    payload: UpdateIncident
