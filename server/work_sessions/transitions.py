"""Who may start, finish or reopen a work session, and on which day.

The checks :mod:`server.work_sessions.service` runs before it moves a session to another
state, for a form and a synced op alike; the field page asks the same questions to decide
which buttons it shows.
"""

from __future__ import annotations

import datetime as dt

from server.auth.policy import MANAGERS
from server.common.errors import OpRejected
from server.common.parsing import in_jst
from server.messages import N_
from server.ops.context import Actor, ApplyContext
from server.work_sessions import ops
from server.work_sessions.schemas import WorkSessionOut

NOT_ON_SESSION = OpRejected(
    "not_on_session",
    N_("Only the people assigned to this work session, or a manager, can start or finish it."),
    field="work_session_id",
)
OTHER_DAY = OpRejected(
    "not_planned_day",
    N_("This work session is planned for another day. It can be started only on its work date."),
    field="at",
)
OVERRIDE_REASON_REQUIRED = OpRejected(
    "override_reason_required",
    N_("This work session is planned for another day. Say why you start it today."),
    field="override_reason",
)
NOT_CLOSED = OpRejected(
    "not_closed", N_("Only a finished work session can be reopened."), field="work_session_id"
)
REOPEN_REASON_REQUIRED = OpRejected(
    "reopen_reason_required",
    N_("Say why this work session is reopened."),
    field="reason",
)


def works_on(session: WorkSessionOut, staff_id: int, role: str) -> bool:
    """Whether this person may start or finish ``session``: a manager, or someone on its
    staff (in charge or an operator)."""
    return role in MANAGERS or any(a.staff_id == staff_id for a in session.staff)


def on_work_date(session: WorkSessionOut, at: dt.datetime, now: dt.datetime) -> bool:
    """Whether a start at ``at`` falls on the session's work date (JST), a date that has
    come by the server's clock ``now``. A tablet offline all day sends its start the next
    day: the day it was made on counts, but never one still to come."""
    return in_jst(at).date() == session.work_date <= in_jst(now).date()


def check_works_on(session: WorkSessionOut, actor: Actor) -> None:
    """Refuse a start or finish by someone neither on the session's staff nor a manager."""
    if not works_on(session, actor.staff_id, actor.role):
        raise NOT_ON_SESSION.with_traceback(None)


def check_start_day(
    session: WorkSessionOut, payload: ops.OpenWorkSession, context: ApplyContext
) -> str:
    """Refuse a start on another day than the work date, unless a manager says why.

    Returns:
        The manager's reason, when one was given (kept with the session's revision).
    """
    reason = payload.override_reason.strip()
    if not on_work_date(session, payload.at, context.now):
        if context.actor.role not in MANAGERS:
            raise OTHER_DAY.with_traceback(None)
        if not reason:
            raise OVERRIDE_REASON_REQUIRED.with_traceback(None)
    return reason


def reopen_reason(payload: ops.ReopenWorkSession) -> str:
    """The reason a finished session is reopened (kept with its revision); refused when
    blank."""
    reason = payload.reason.strip()
    if not reason:
        raise REOPEN_REASON_REQUIRED.with_traceback(None)
    return reason
