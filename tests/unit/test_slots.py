"""A work session's slots: where they start and how many it covers."""

from __future__ import annotations

import datetime as dt

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from server.common.clock import JST, utc_iso
from server.headcounts.slots import session_slots, slot_of, slot_window
from server.work_sessions.schemas import WorkSessionOut
from tests.support.field import city_hall_session

ZONES = st.sampled_from([dt.UTC, JST, dt.timezone(dt.timedelta(hours=-5, minutes=-30))])
MOMENTS = st.builds(
    lambda moment, zone: moment.replace(tzinfo=dt.UTC).astimezone(zone),
    st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2035, 1, 1)),
    ZONES,
)
SPANS = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(hours=30))


def _session(
    start: dt.datetime, planned: dt.timedelta, actual: dt.timedelta | None
) -> WorkSessionOut:
    return city_hall_session(
        start,
        start + planned,
        status="open" if actual is not None else "planned",
        actual_start=start if actual is not None else None,
        actual_end=start + actual if actual is not None else None,
    )


@given(MOMENTS, SPANS, st.none() | SPANS, st.sampled_from([10, 15, 30, 60]))
def test_a_window_covers_each_slot_its_hours_touch_once(
    start: dt.datetime, planned: dt.timedelta, actual: dt.timedelta | None, minutes: int
) -> None:
    """Slots start at the start's slot (UTC) and run until the later end falls inside the
    last, one slot at least: the count is the timedelta arithmetic's exactly, microseconds
    and offsets included."""
    session = _session(start, planned, actual)
    first, count = slot_window(session, minutes)
    end = max(session.planned_end, session.actual_end or session.planned_end)
    step = dt.timedelta(minutes=minutes)
    assert first.tzinfo is dt.UTC and first <= start < first + step
    assert first.minute % minutes == 0 and first.second == first.microsecond == 0
    assert count == max(1, -(-(end - first) // step))
    assert first + (count - 1) * step < end <= first + count * step or (count == 1 and end <= first)
    assert session_slots(session, minutes) == [first + i * step for i in range(count)]


@given(MOMENTS)
def test_utc_text_is_the_same_instant_whatever_the_offset(moment: dt.datetime) -> None:
    """A moment in any offset reads as the same instant in UTC text (``+00:00``)."""
    text = utc_iso(moment)
    assert text.endswith("+00:00")
    assert dt.datetime.fromisoformat(text) == moment
    assert utc_iso(slot_of(moment, 30)) == utc_iso(slot_of(moment.astimezone(dt.UTC), 30))


@given(MOMENTS, st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(hours=12)))
def test_a_session_opened_after_its_planned_end_has_the_slot_it_opened_in(
    planned_start: dt.datetime, late: dt.timedelta
) -> None:
    """Opened late, after its planned end, a session still covers the slot it opened in (it
    had none, and every count was refused)."""
    planned = _session(planned_start, dt.timedelta(hours=6), None)
    opened_at = planned.planned_end + late
    session = msgspec.structs.replace(planned, status="open", actual_start=opened_at)
    first, count = slot_window(session, 30)
    assert count == 1 and first <= opened_at < first + dt.timedelta(minutes=30)
