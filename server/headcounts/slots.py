"""Time slots: counts are kept per slot of a work session (aligned to the hour, in UTC)."""

from __future__ import annotations

import datetime as dt

from server.work_sessions.schemas import WorkSessionOut

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _slot_seconds(moment: dt.datetime, slot_minutes: int) -> int:
    """The start of ``moment``'s slot in whole seconds since the epoch (UTC midnight-aligned:
    the epoch is a UTC midnight). Integer arithmetic: a pull page works out hundreds."""
    since = moment - EPOCH
    seconds = since.days * 86_400 + since.seconds
    return seconds - seconds % 86_400 % (slot_minutes * 60)


def slot_of(moment: dt.datetime, slot_minutes: int) -> dt.datetime:
    """The start of the slot ``moment`` falls in (slots are aligned to the hour, in UTC).

    Args:
        moment: Any time.
        slot_minutes: Slot length.

    Returns:
        The slot's start, timezone-aware UTC.
    """
    return EPOCH + dt.timedelta(seconds=_slot_seconds(moment, slot_minutes))


def slot_window(session: WorkSessionOut, slot_minutes: int) -> tuple[dt.datetime, int]:
    """The slots a work session covers, as the first slot and how many: from its (actual or
    planned) start to the later of its planned and actual end, and at least the first."""
    return window_of(
        session.actual_start or session.planned_start,
        session.planned_end,
        session.actual_end,
        slot_minutes,
    )


def window_of(
    start: dt.datetime, planned_end: dt.datetime, actual_end: dt.datetime | None, slot_minutes: int
) -> tuple[dt.datetime, int]:
    """:func:`slot_window` of a session that starts at ``start`` (its actual start, else
    its planned one) and ends as given."""
    end = actual_end if actual_end is not None and actual_end > planned_end else planned_end
    first = _slot_seconds(start, slot_minutes)
    # Whole microseconds, ceiling-divided: exact, unlike float seconds.
    until = end - EPOCH
    micros = (until.days * 86_400 + until.seconds - first) * 1_000_000 + until.microseconds
    # At least the slot it starts in: a session opened after its planned end (running
    # late) had no slot at all, and every count was refused as outside it.
    count = max(1, -(-micros // (slot_minutes * 60_000_000)))
    return EPOCH + dt.timedelta(seconds=first), count


def session_slots(session: WorkSessionOut, slot_minutes: int) -> list[dt.datetime]:
    """Every slot start of :func:`slot_window`."""
    first, count = slot_window(session, slot_minutes)
    return [first + dt.timedelta(minutes=slot_minutes * i) for i in range(count)]
