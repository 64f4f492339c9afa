"""Work session ops: planning, staffing, opening, closing, reopening, editing (rules in
``service.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

import msgspec

from server.common.text import Code, FreeText, Id
from server.ops.envelope import Moment, OpBase, Payload


class PlanWorkSession(Payload, frozen=True, kw_only=True):
    """``work_session.plan``: a site will be open for a window (``allow_overlap``: the
    planner confirms a second session at the site at the same time)."""

    moments: ClassVar[tuple[str, ...]] = ("planned_start", "planned_end")

    site_id: Id
    work_date: dt.date
    planned_start: Moment
    planned_end: Moment
    notes: FreeText = ""
    allow_overlap: bool = False


class WorkSessionPlan(OpBase, frozen=True, tag="work_session.plan"):
    """Op: plan a work session."""

    payload: PlanWorkSession


class AssignStaff(Payload, frozen=True, kw_only=True):
    """``work_session.assign``: someone works the session, in charge or as an operator."""

    work_session_id: Id
    staff_id: Id
    duty: Literal["in_charge", "operator"]


class WorkSessionAssign(OpBase, frozen=True, tag="work_session.assign"):
    """Op: assign someone to a work session."""

    payload: AssignStaff


class UnassignStaff(Payload, frozen=True, kw_only=True):
    """``work_session.unassign``: someone no longer works the session."""

    work_session_id: Id
    staff_id: Id


class WorkSessionUnassign(OpBase, frozen=True, tag="work_session.unassign"):
    """Op: remove someone from a work session."""

    payload: UnassignStaff


class SessionMoment(Payload, frozen=True, kw_only=True):
    """A work session and the moment something happened to it."""

    moments: ClassVar[tuple[str, ...]] = ("at",)

    work_session_id: Id
    at: Moment


StockFigure = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
"""A number of cards counted: none below zero."""
Checked = Annotated[list[Code], msgspec.Meta(max_length=40)]
"""The codes of the checklist's lines done (:mod:`server.work_sessions.checks`)."""


class ClosingStock(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A fixed counter's card stock when it closes: received, issued and spoiled during the
    session, and counted at the end (counted at the start when it opened)."""

    received: StockFigure = 0
    issued: StockFigure = 0
    spoiled: StockFigure = 0
    end: StockFigure


class OpenWorkSession(SessionMoment, frozen=True, kw_only=True):
    """``work_session.open``: the session starts (actual start time). ``override_reason``:
    why a manager starts it on another day than its work date (required only then).
    ``checks``: the opening checklist's lines done (None: not recorded); ``stock_start``:
    a fixed counter's cards counted."""

    override_reason: FreeText = ""
    checks: Checked | None = None
    stock_start: StockFigure | None = None


class WorkSessionOpen(OpBase, frozen=True, tag="work_session.open"):
    """Op: open a work session."""

    payload: OpenWorkSession


class CloseWorkSession(SessionMoment, frozen=True, kw_only=True):
    """``work_session.close``: the session ends (actual end time), with the closing
    checklist's lines done and a fixed counter's card stock when they were recorded."""

    checks: Checked | None = None
    stock: ClosingStock | None = None


class WorkSessionClose(OpBase, frozen=True, tag="work_session.close"):
    """Op: close a work session."""

    payload: CloseWorkSession


class ReopenWorkSession(Payload, frozen=True, kw_only=True):
    """``work_session.reopen``: a manager opens a finished session again, saying why (the
    reason is required by the rule, so its refusal can name the field)."""

    work_session_id: Id
    reason: FreeText = ""


class WorkSessionReopen(OpBase, frozen=True, tag="work_session.reopen"):
    """Op: reopen a finished work session."""

    payload: ReopenWorkSession


class UpdateWorkSession(Payload, frozen=True, kw_only=True):
    """``work_session.update``: change fields; unset fields are left alone
    (``allow_overlap``: as when planning)."""

    moments: ClassVar[tuple[str, ...]] = ("planned_start", "planned_end")

    work_session_id: Id
    notes: FreeText | msgspec.UnsetType = msgspec.UNSET
    planned_start: Moment | msgspec.UnsetType = msgspec.UNSET
    planned_end: Moment | msgspec.UnsetType = msgspec.UNSET
    allow_overlap: bool = False


class WorkSessionUpdate(OpBase, frozen=True, tag="work_session.update"):
    """Op: change a work session's fields."""

    payload: UpdateWorkSession


CheckGroup = Literal["office", "outreach", "support"]
CheckPhase = Literal["open", "close"]


class AddCheckItem(Payload, frozen=True, kw_only=True):
    """``check_item.add``: a new line on one kind of site's opening or closing checklist."""

    site_group: CheckGroup
    phase: CheckPhase
    label_ja: FreeText
    label_en: FreeText = ""


class CheckItemAdd(OpBase, frozen=True, tag="check_item.add"):
    """Op: add a line to a checklist."""

    payload: AddCheckItem


class SetCheckItemActive(Payload, frozen=True, kw_only=True):
    """``check_item.set_active``: take a line off a checklist (or put it back); what was
    recorded with it stays."""

    site_group: CheckGroup
    phase: CheckPhase
    code: Code
    active: bool


class CheckItemSetActive(OpBase, frozen=True, tag="check_item.set_active"):
    """Op: retire or restore a checklist line."""

    payload: SetCheckItemActive
