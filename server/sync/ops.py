"""Ops: every change is one of these, from an online form or a synced batch.

An op is ``{op_id, device_id, seq, type, actor_id, client_time, base_version, payload}``;
``type`` tags a msgspec union, so decoding picks the payload shape. Every field is typed
strictly (:mod:`server.common.text`): ids within the databases' integers, generated ids by
their shape, times with an offset and within :data:`EARLIEST`..:data:`LATEST`, and text as
``FreeText``, which the My Number guard checks. An op that breaks a type is refused alone
(:class:`Unreadable`), so one bad op never blocks the ones behind it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

import msgspec

from server.common.text import Code, CountCode, Counter, FreeText, Id, OpId, Uuid

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
Moment = Annotated[dt.datetime, msgspec.Meta(tz=True)]
"""An instant with its offset: a time without one cannot be placed, nor compared."""


class Payload(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of op payloads; ``moments`` names the fields holding times (their range is
    checked with the op's rules: ``server.sync.service.check_op``)."""

    moments: ClassVar[tuple[str, ...]] = ()


class AddVenue(Payload, frozen=True, kw_only=True):
    """``site.add_venue``: a new outreach venue."""

    name_ja: FreeText
    name_en: FreeText = ""
    address: FreeText = ""
    venue_kind: Literal["university", "commercial", "community_hall", "other"]
    notes: FreeText = ""


class RetireVenue(Payload, frozen=True, kw_only=True):
    """``site.retire``: an outreach venue is no longer used."""

    site_id: Id


class PlanWorkSession(Payload, frozen=True, kw_only=True):
    """``work_session.plan``: a site will be open for a window."""

    moments: ClassVar[tuple[str, ...]] = ("planned_start", "planned_end")

    site_id: Id
    work_date: dt.date
    planned_start: Moment
    planned_end: Moment
    notes: FreeText = ""


class AssignStaff(Payload, frozen=True, kw_only=True):
    """``work_session.assign``: someone works the session, in charge or as an operator."""

    work_session_id: Id
    staff_id: Id
    duty: Literal["in_charge", "operator"]


class UnassignStaff(Payload, frozen=True, kw_only=True):
    """``work_session.unassign``: someone no longer works the session."""

    work_session_id: Id
    staff_id: Id


class OpenWorkSession(Payload, frozen=True, kw_only=True):
    """``work_session.open``: the session starts (actual start time)."""

    moments: ClassVar[tuple[str, ...]] = ("at",)

    work_session_id: Id
    at: Moment


class CloseWorkSession(Payload, frozen=True, kw_only=True):
    """``work_session.close``: the session ends (actual end time)."""

    moments: ClassVar[tuple[str, ...]] = ("at",)

    work_session_id: Id
    at: Moment


class UpdateWorkSession(Payload, frozen=True, kw_only=True):
    """``work_session.update``: change fields; unset fields are left alone."""

    moments: ClassVar[tuple[str, ...]] = ("planned_start", "planned_end")

    work_session_id: Id
    notes: FreeText | msgspec.UnsetType = msgspec.UNSET
    planned_start: Moment | msgspec.UnsetType = msgspec.UNSET
    planned_end: Moment | msgspec.UnsetType = msgspec.UNSET


class AddHeadcount(Payload, frozen=True, kw_only=True):
    """``headcount.add``: +n in a category and slot (negative: a correction)."""

    moments: ClassVar[tuple[str, ...]] = ("slot_start",)

    work_session_id: Id
    slot_start: Moment
    category: CountCode
    delta: int


class AddCategory(Payload, frozen=True, kw_only=True):
    """``headcount.category_add``: a new thing to count at one kind of site."""

    site_group: Literal["outreach", "office"]
    label_ja: FreeText
    label_en: FreeText = ""


class SetCategoryActive(Payload, frozen=True, kw_only=True):
    """``headcount.category_set_active``: stop (or resume) counting a category."""

    site_group: Literal["outreach", "office"]
    code: Code
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

    moments: ClassVar[tuple[str, ...]] = ("occurred_at",)

    uid: Uuid
    site_id: Id
    work_session_id: Id | None = None
    category: IncidentCategory
    severity: Severity
    occurred_at: Moment
    description: FreeText
    immediate_action: FreeText = ""


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


class OpBase(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Envelope fields every op carries."""

    op_id: OpId | None = None
    device_id: Uuid | None = None
    seq: Counter | None = None
    actor_id: Id | None = None
    client_time: Moment | None = None
    base_version: Counter | None = None


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
