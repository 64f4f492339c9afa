"""Reading what people type: the shared parsers and typed form structs (issue 17, point 6)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import RequestFactory

from server.auth.policy import EVERY_SITE, ROLES, sees_every_site
from server.common.parsing import parse_clock, parse_date, parse_id, show_time
from server.incidents.forms import FILTER_MESSAGES
from server.settings import Settings
from server.web.forms import read_form
from server.web.i18n import load_catalogs


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), (" 42 ", 42), (str(2**31 - 1), 2**31 - 1)],
)
def test_ids_read(text: str, expected: int) -> None:
    """A row id: ASCII digits within what the id columns hold, blanks around ignored."""
    assert parse_id(text) == expected


@pytest.mark.parametrize("text", ["", "0", "-1", "+5", "１", "5_0", str(2**31), "057830862716"])
def test_ids_refused(text: str) -> None:
    """Anything else is refused, a My Number's twelve digits included."""
    with pytest.raises(ValueError):
        parse_id(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:30", dt.time(9, 30)),
        ("9:05", dt.time(9, 5)),
        ("０９:３０", dt.time(9, 30)),
        (" 23:59:30 ", dt.time(23, 59)),
    ],
)
def test_clock_times_read(text: str, expected: dt.time) -> None:
    """``H:MM`` or ``HH:MM`` (full-width digits too); seconds are dropped."""
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text", ["", "5pm", "24:00", "09:60", "0930", "午前10時", "9"])
def test_clock_times_refused(text: str) -> None:
    """What is not a time of day is refused."""
    with pytest.raises(ValueError):
        parse_clock(text)


def test_dates_and_shown_times() -> None:
    """Dates are ISO; stored moments show in JST (a naive one is UTC)."""
    assert parse_date(" 2025-04-01 ") == dt.date(2025, 4, 1)
    with pytest.raises(ValueError):
        parse_date("yesterday")
    assert show_time(dt.datetime(2025, 3, 31, 15, 30)) == "2025-04-01 00:30"
    assert show_time("2025-03-31T15:30:00+00:00") == "2025-04-01 00:30"
    assert show_time("not a time") == "not a time"
    assert show_time(None) == ""


class Typed(msgspec.Struct, frozen=True, kw_only=True):
    site_id: int
    kind: Literal["a", "b"]
    date_from: dt.date | None
    at: dt.time | None
    note: str | None
    owner: int


# Two of the incident list's messages, and two more.
MESSAGES = {**FILTER_MESSAGES, "kind": "Choose a category.", "at": "Enter a time as HH:MM."}


@pytest.fixture(scope="module")
def request_ja() -> Any:
    """A request in Japanese, against an app holding the catalogs."""
    app = Litestar(route_handlers=[])
    app.state.catalogs = load_catalogs()
    app.state.settings = Settings.from_env()
    return RequestFactory(app=app).get("/", headers={"accept-language": "ja"})


def test_a_form_reads_into_its_typed_struct(request_ja: Any) -> None:
    """Each field by its type; blank optional values are None, text is kept as sent."""
    form = {"site_id": "3", "kind": "b", "date_from": "", "at": "9:00", "note": ""}
    value, errors = read_form(request_ja, form, Typed, MESSAGES, owner=7)
    assert errors == {}
    assert value == Typed(site_id=3, kind="b", date_from=None, at=dt.time(9), note="", owner=7)


def test_every_field_that_does_not_read_is_named_in_the_page_language(request_ja: Any) -> None:
    """All refusals at once, each under its field, translated; nothing is returned."""
    form = {"site_id": "", "kind": "c", "date_from": "nonsense", "at": "5pm"}
    value, errors = read_form(request_ja, form, Typed, MESSAGES, owner=7)
    assert value is None
    assert set(errors) == {"site_id", "kind", "date_from", "at"}
    assert errors["date_from"] == "正しい日付を入力してください。"
    assert errors["site_id"] == "履行場所を選んでください。"


def test_who_sees_every_site() -> None:
    """Managers and city staff see every site; operators only their own."""
    assert {role for role in ROLES if sees_every_site(role)} == EVERY_SITE
    assert not sees_every_site("operator") and not sees_every_site(None)
