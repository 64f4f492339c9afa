"""The reconciliation's rules at their boundaries (issue 20): exactly 90 minutes without
counts, the outlier's factor and its minimum, applications against visitors, the window."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from server.reconciliation import rules
from server.settings import Settings
from server.work_sessions.schemas import Assignment
from tests.support.field import city_hall_session

START = dt.datetime(2026, 11, 3, 1, 0, tzinfo=dt.UTC)  # 10:00 JST
END = START + dt.timedelta(hours=6)
SLOT = 30
OPEN = city_hall_session(START, END, status="open", actual_start=START)


def at(minutes: int) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


def test_defaults_are_the_issues() -> None:
    """With nothing set: 90 minutes, three times, 20 at least, and the default blockers."""
    field = Settings.from_env({}).field
    assert (field.no_counts_minutes, field.outlier_factor, field.outlier_min_total) == (90, 3, 20)
    assert field.blocking_findings == {"session_open_late", "sync_conflict", "device_mismatch"}
    assert "visitors" in field.visitor_categories
    assert {"applications_mail", "applications_collect"} <= field.application_categories


@pytest.mark.parametrize(("now", "idle"), [(89, 89), (90, 90), (91, 91)])
def test_minutes_without_counts_since_opening(now: int, idle: int) -> None:
    """With no counts the clock runs from the opening; 90 is reached at exactly 90."""
    assert rules.minutes_without_counts(OPEN, {}, at(now), SLOT) == idle


def test_minutes_without_counts_run_from_the_end_of_the_last_counted_slot() -> None:
    """A count in the 11:00 slot stops the clock until 11:30; a slot that nets to zero
    (a correction) is no count."""
    cells = {(at(60), "pin_reset"): 2, (at(120), "pin_reset"): 0}
    assert rules.minutes_without_counts(OPEN, cells, at(90 + 90), SLOT) == 90
    assert rules.minutes_without_counts(OPEN, cells, at(90 + 89), SLOT) == 89
    assert rules.minutes_without_counts(OPEN, cells, at(60), SLOT) == 0


def test_only_an_open_session_can_go_without_counts() -> None:
    closed = msgspec.structs.replace(OPEN, status="closed", actual_end=END)
    assert rules.minutes_without_counts(closed, {}, at(600), SLOT) is None


@pytest.mark.parametrize(
    ("totals", "flagged"),
    [
        ({"a": 30, "b": 30, "c": 90}, []),  # exactly three times: not more
        ({"a": 30, "b": 30, "c": 91}, [("c", 91, 30)]),
        ({"a": 30, "b": 30, "c": 10}, []),  # exactly a third: not less
        ({"a": 30, "b": 30, "c": 9}, [("c", 9, 30)]),
        ({"a": 6, "b": 6, "c": 19}, []),  # below the minimum on both sides
        ({"a": 6, "b": 6, "c": 20}, [("c", 20, 6)]),
        ({"a": 0, "b": 0, "c": 25}, [("c", 25, 0)]),
        ({"a": 5, "b": 100}, []),  # two devices: neither is the odd one
    ],
)
def test_outliers_at_their_thresholds(
    totals: dict[str, int], flagged: list[tuple[str, int, int]]
) -> None:
    assert rules.outliers(totals, factor=3, min_total=20) == flagged


def test_applications_above_visitors_per_slot() -> None:
    """Equal is fine; one more application than visitors in a slot is flagged, summing
    every application category; other categories do not count."""
    cells = {
        (at(0), "visitors"): 3,
        (at(0), "applications_mail"): 2,
        (at(0), "applications_collect"): 1,
        (at(30), "visitors"): 3,
        (at(30), "applications_mail"): 2,
        (at(30), "applications_collect"): 2,
        (at(60), "consultation"): 9,
    }
    apps = {"applications_mail", "applications_collect"}
    assert rules.apps_over_visitors(cells, {"visitors"}, apps) == [(at(30), 4, 3)]


def test_counts_outside_the_window() -> None:
    """A slot outside the session's slots with a non-zero sum is flagged; one inside, or
    one whose counts were corrected to nothing, is not."""
    window = {at(0), at(30)}
    cells = {(at(0), "x"): 5, (at(60), "x"): 2, (at(60), "y"): 1, (at(90), "x"): 0}
    assert rules.outside_window(cells, window) == [(at(60), 3)]


def test_session_states_against_the_clock() -> None:
    """Open late only after the planned end; never opened from the planned start on."""
    assert not rules.open_late(OPEN, END)
    assert rules.open_late(OPEN, END + dt.timedelta(seconds=1))
    planned = msgspec.structs.replace(OPEN, status="planned", actual_start=None)
    assert not rules.never_opened(planned, START - dt.timedelta(seconds=1))
    assert rules.never_opened(planned, START)


def test_staffing_rule() -> None:
    """Fewer people than the minimum, or nobody in charge, is understaffed."""
    lead = Assignment(staff_id=1, display_name="A", role="business_manager", duty="in_charge")
    helper = Assignment(staff_id=2, display_name="B", role="operator", duty="operator")
    other = Assignment(staff_id=3, display_name="C", role="operator", duty="operator")
    assert not rules.understaffed(msgspec.structs.replace(OPEN, staff=[lead, helper]), 2)
    assert rules.understaffed(msgspec.structs.replace(OPEN, staff=[lead]), 2)
    assert rules.understaffed(msgspec.structs.replace(OPEN, staff=[helper, other]), 2)


def test_silence() -> None:
    assert rules.silent(None, START, 60)
    assert not rules.silent(START, at(59), 60)
    assert rules.silent(START, at(60), 60)


def test_every_kind_has_its_words_in_japanese() -> None:
    """Each kind of finding has one message, translated, with the same figures in both."""
    import re

    from server.reconciliation.schemas import FINDING_KINDS
    from server.reconciliation.wording import MESSAGES
    from server.web.i18n import load_catalogs

    japanese = load_catalogs()["ja"]
    assert set(MESSAGES) == set(FINDING_KINDS)
    for kind, message in MESSAGES.items():
        translated = japanese.gettext(message)
        assert translated != message, kind
        figures = re.compile(r"%\((\w+)\)s")
        assert set(figures.findall(translated)) == set(figures.findall(message)), kind


def test_finding_codes_in_settings_are_checked() -> None:
    """A blocking kind must look like a code; the defaults name real kinds."""
    from server.reconciliation.schemas import FINDING_KINDS
    from server.settings import SettingsError

    with pytest.raises(SettingsError, match="MADOGUCHI_BLOCKING_FINDINGS"):
        Settings.from_env({"MADOGUCHI_BLOCKING_FINDINGS": "Session Late"})
    assert Settings.from_env({}).field.blocking_findings <= set(FINDING_KINDS)
