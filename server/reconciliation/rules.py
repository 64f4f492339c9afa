"""The rules that flag a day's work sessions and counts, as pure functions of what
:mod:`server.reconciliation.findings` read: unit-tested at their boundaries, and tuned by
the settings (``FieldSettings``) rather than edited."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Collection, Mapping

from server.work_sessions.schemas import WorkSessionOut

Cells = Mapping[tuple[dt.datetime, str], int]


def open_late(session: WorkSessionOut, now: dt.datetime) -> bool:
    """Still open after its planned end."""
    return session.status == "open" and now > session.planned_end


def never_opened(session: WorkSessionOut, now: dt.datetime) -> bool:
    """Still planned when its planned start has come."""
    return session.status == "planned" and now >= session.planned_start


def understaffed(session: WorkSessionOut, min_staff: int) -> bool:
    """Fewer people than the rule asks, or nobody in charge."""
    return len(session.staff) < min_staff or session.in_charge is None


def apps_over_visitors(
    cells: Cells, visitors: Collection[str], applications: Collection[str]
) -> list[tuple[dt.datetime, int, int]]:
    """Slots where more applications than visitors were counted: ``(slot, applications,
    visitors)``, in slot order. Applications are taken from visitors, never beyond them."""
    by_slot: dict[dt.datetime, list[int]] = {}
    for (slot, code), n in cells.items():
        if code in visitors or code in applications:
            sums = by_slot.setdefault(slot, [0, 0])
            sums[0 if code in applications else 1] += n
    return [(slot, a, v) for slot, (a, v) in sorted(by_slot.items()) if a > v]


def outside_window(cells: Cells, window: Collection[dt.datetime]) -> list[tuple[dt.datetime, int]]:
    """Slots holding counts (a non-zero sum) outside the session's slots: ``(slot, n)``."""
    by_slot: dict[dt.datetime, int] = {}
    for (slot, _code), n in cells.items():
        if slot not in window:
            by_slot[slot] = by_slot.get(slot, 0) + n
    return [(slot, n) for slot, n in sorted(by_slot.items()) if n]


def minutes_without_counts(
    session: WorkSessionOut, cells: Cells, now: dt.datetime, slot_minutes: int
) -> int | None:
    """Whole minutes an open session has gone without counts: since the end of its last
    slot holding counts, or since it opened; None when it is not open."""
    if session.status != "open":
        return None
    counted = [slot for (slot, _code), n in cells.items() if n]
    since = session.actual_start or session.planned_start
    if counted:
        since = max(since, max(counted) + dt.timedelta(minutes=slot_minutes))
    return max(0, int((now - since).total_seconds() // 60))


def outliers(totals: Mapping[str, int], factor: int, min_total: int) -> list[tuple[str, int, int]]:
    """Devices whose total at one session is more than ``factor`` times, or less than one
    ``factor``-th of, the median of the others' (``(device, total, median)``). Compared
    only with two others or more (between two devices, neither is the odd one) and when
    the total or the median reaches ``min_total`` (small numbers are noise)."""
    found = []
    for device, total in sorted(totals.items()):
        others = [n for d, n in totals.items() if d != device]
        if len(others) < 2:
            continue
        median = statistics.median(others)
        if max(total, median) < min_total:
            continue
        if total > factor * median or total * factor < median:
            found.append((device, total, round(median)))
    return found


def silent(last_contact: dt.datetime | None, now: dt.datetime, minutes: int) -> bool:
    """No contact for ``minutes`` or more (or never)."""
    return last_contact is None or now - last_contact >= dt.timedelta(minutes=minutes)
