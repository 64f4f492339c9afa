"""Time slots: counts are kept per slot of a work session (aligned to the hour, in UTC)."""

from __future__ import annotations

import datetime as dt

from server.work_sessions.schemas import WorkSessionOut


def slot_of(moment: dt.datetime, slot_minutes: int) -> dt.datetime:
    """The start of the slot ``moment`` falls in (slots are aligned to the hour, in UTC).

    Args:
        moment: Any time.
        slot_minutes: Slot length.

    Returns:
        The slot's start, timezone-aware UTC.
    """
    if moment.tzinfo is not dt.UTC:  # what the database and msgspec give already is
        moment = moment.astimezone(dt.UTC)
    minutes = (moment.hour * 60 + moment.minute) // slot_minutes * slot_minutes
    return moment.replace(hour=minutes // 60, minute=minutes % 60, second=0, microsecond=0)


def slot_window(session: WorkSessionOut, slot_minutes: int) -> tuple[dt.datetime, int]:
    """The slots a work session covers, as the first slot and how many: from its (actual or
    planned) start to the later of its planned and actual end."""
    start = session.actual_start or session.planned_start
    end = session.planned_end
    if session.actual_end is not None and session.actual_end > end:
        end = session.actual_end
    first = slot_of(start, slot_minutes)
    # Whole microseconds, ceiling-divided: exact, and a fifth of timedelta division's cost
    # (a pull page works out hundreds of windows).
    span = end - first
    micros = (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds
    return first, max(0, -(-micros // (slot_minutes * 60_000_000)))


def session_slots(session: WorkSessionOut, slot_minutes: int) -> list[dt.datetime]:
    """Every slot start of :func:`slot_window`."""
    first, count = slot_window(session, slot_minutes)
    return [first + dt.timedelta(minutes=slot_minutes * i) for i in range(count)]
