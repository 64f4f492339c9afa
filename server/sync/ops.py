"""Ops: every change is one of these, from an online form or a synced batch.

An op is ``{op_id, device_id, seq, type, actor_id, client_time, base_version, payload}``;
``type`` tags a msgspec union, so decoding picks the payload shape. Free-text fields are
named in each payload's ``free_text`` so the My Number guard checks all of them.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

import msgspec


class Payload(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of op payloads."""

    free_text: ClassVar[tuple[str, ...]] = ()


class AddVenue(Payload, frozen=True, kw_only=True):
    """``site.add_venue``: a new outreach venue."""

    free_text: ClassVar[tuple[str, ...]] = ("name_ja", "name_en", "address", "notes")
    name_ja: str
    name_en: str = ""
    address: str = ""
    venue_kind: Literal["university", "commercial", "community_hall", "other"]
    notes: str = ""


class RetireVenue(Payload, frozen=True, kw_only=True):
    """``site.retire``: an outreach venue is no longer used."""

    site_id: int


class PlanWorkSession(Payload, frozen=True, kw_only=True):
    """``work_session.plan``: a site will be open for a window."""

    free_text: ClassVar[tuple[str, ...]] = ("notes",)
    site_id: int
    work_date: dt.date
    planned_start: dt.datetime
    planned_end: dt.datetime
    notes: str = ""


class AssignStaff(Payload, frozen=True, kw_only=True):
    """``work_session.assign``: someone works the session, in charge or as an operator."""

    work_session_id: int
    staff_id: int
    duty: Literal["in_charge", "operator"]


class UnassignStaff(Payload, frozen=True, kw_only=True):
    """``work_session.unassign``: someone no longer works the session."""

    work_session_id: int
    staff_id: int


class OpenWorkSession(Payload, frozen=True, kw_only=True):
    """``work_session.open``: the session starts (actual start time)."""

    work_session_id: int
    at: dt.datetime


class CloseWorkSession(Payload, frozen=True, kw_only=True):
    """``work_session.close``: the session ends (actual end time)."""

    work_session_id: int
    at: dt.datetime


class UpdateWorkSession(Payload, frozen=True, kw_only=True):
    """``work_session.update``: change fields; unset fields are left alone."""

    free_text: ClassVar[tuple[str, ...]] = ("notes",)
    work_session_id: int
    notes: str | msgspec.UnsetType = msgspec.UNSET
    planned_start: dt.datetime | msgspec.UnsetType = msgspec.UNSET
    planned_end: dt.datetime | msgspec.UnsetType = msgspec.UNSET


class AddHeadcount(Payload, frozen=True, kw_only=True):
    """``headcount.add``: +n in a category and slot (negative: a correction)."""

    work_session_id: int
    slot_start: dt.datetime
    category: str
    delta: int


class AddCategory(Payload, frozen=True, kw_only=True):
    """``headcount.category_add``: a new thing to count at one kind of site."""

    free_text: ClassVar[tuple[str, ...]] = ("label_ja", "label_en")
    site_group: Literal["outreach", "office"]
    label_ja: str
    label_en: str = ""


class SetCategoryActive(Payload, frozen=True, kw_only=True):
    """``headcount.category_set_active``: stop (or resume) counting a category."""

    site_group: Literal["outreach", "office"]
    code: str
    active: bool


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

    free_text: ClassVar[tuple[str, ...]] = ("description", "immediate_action")
    uid: str
    site_id: int
    work_session_id: int | None = None
    category: IncidentCategory
    severity: Severity
    occurred_at: dt.datetime
    description: str
    immediate_action: str = ""


class UpdateIncident(Payload, frozen=True, kw_only=True):
    """``incident.update``: change fields from ``base_version``; unset fields stay."""

    free_text: ClassVar[tuple[str, ...]] = (
        "description",
        "immediate_action",
        "recurrence_prevention",
    )
    uid: str
    category: IncidentCategory | msgspec.UnsetType = msgspec.UNSET
    severity: Severity | msgspec.UnsetType = msgspec.UNSET
    occurred_at: dt.datetime | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    immediate_action: str | msgspec.UnsetType = msgspec.UNSET
    reported_to_city_at: dt.datetime | msgspec.UnsetType | None = msgspec.UNSET
    recurrence_prevention: str | msgspec.UnsetType = msgspec.UNSET
    status: IncidentStatus | msgspec.UnsetType = msgspec.UNSET


class OpBase(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Envelope fields every op carries."""

    op_id: str | None = None
    device_id: str | None = None
    seq: int | None = None
    actor_id: int | None = None
    client_time: dt.datetime | None = None
    base_version: int | None = None


class SiteAddVenue(OpBase, frozen=True, tag="site.add_venue"):
    """Op: add an outreach venue."""

    payload: AddVenue


class SiteRetire(OpBase, frozen=True, tag="site.retire"):
    """Op: retire an outreach venue."""

    payload: RetireVenue


class WorkSessionPlan(OpBase, frozen=True, tag="work_session.plan"):
    """Op: plan a work session."""

    payload: PlanWorkSession


class WorkSessionAssign(OpBase, frozen=True, tag="work_session.assign"):
    """Op: assign someone to a work session."""

    payload: AssignStaff


class WorkSessionUnassign(OpBase, frozen=True, tag="work_session.unassign"):
    """Op: remove someone from a work session."""

    payload: UnassignStaff


class WorkSessionOpen(OpBase, frozen=True, tag="work_session.open"):
    """Op: open a work session."""

    payload: OpenWorkSession


class WorkSessionClose(OpBase, frozen=True, tag="work_session.close"):
    """Op: close a work session."""

    payload: CloseWorkSession


class WorkSessionUpdate(OpBase, frozen=True, tag="work_session.update"):
    """Op: change a work session's fields."""

    payload: UpdateWorkSession


class HeadcountAdd(OpBase, frozen=True, tag="headcount.add"):
    """Op: count (or correct) a headcount."""

    payload: AddHeadcount


class HeadcountCategoryAdd(OpBase, frozen=True, tag="headcount.category_add"):
    """Op: add a headcount category."""

    payload: AddCategory


class HeadcountCategorySetActive(OpBase, frozen=True, tag="headcount.category_set_active"):
    """Op: retire or restore a headcount category."""

    payload: SetCategoryActive


class IncidentCreate(OpBase, frozen=True, tag="incident.create"):
    """Op: file an incident."""

    payload: CreateIncident


class IncidentUpdate(OpBase, frozen=True, tag="incident.update"):
    """Op: change an incident."""

    payload: UpdateIncident


Op = (
    SiteAddVenue
    | SiteRetire
    | WorkSessionPlan
    | WorkSessionAssign
    | WorkSessionUnassign
    | WorkSessionOpen
    | WorkSessionClose
    | WorkSessionUpdate
    | HeadcountAdd
    | HeadcountCategoryAdd
    | HeadcountCategorySetActive
    | IncidentCreate
    | IncidentUpdate
)
