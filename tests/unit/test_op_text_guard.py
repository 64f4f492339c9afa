"""The write path itself refuses a My Number in every free-text field of every op."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from server.common.errors import OpRejected
from server.common.text import free_text_fields
from server.ops.apply import MAX_TEXT, check_text
from server.sync import ops
from tests.support.mynumber_samples import (
    NEAR_MISS_KINDS,
    VALID_FORMS,
    near_miss_samples,
    valid_samples,
)

NOW = dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)
PAYLOADS: list[ops.Payload] = [
    ops.AddVenue(name_ja="会場", venue_kind="other"),
    ops.PlanWorkSession(site_id=1, work_date=NOW.date(), planned_start=NOW, planned_end=NOW),
    ops.UpdateWorkSession(work_session_id=1, notes=""),
    ops.CreateIncident(
        uid="u", site_id=1, category="other", severity="low", occurred_at=NOW, description="x"
    ),
    ops.UpdateIncident(uid="u", description="", immediate_action="", recurrence_prevention=""),
]


def with_text(payload: ops.Payload, field: str, text: str) -> ops.Payload:
    """``payload`` with ``field`` set to ``text``."""
    import msgspec

    return msgspec.structs.replace(payload, **{field: text})


def test_every_free_text_field_is_guarded() -> None:
    """Each op's declared free-text fields exist and a My Number in any of them is refused."""
    checked = 0
    for payload in PAYLOADS:
        for field in free_text_fields(type(payload)):
            with pytest.raises(OpRejected) as refused:
                check_text(with_text(payload, field, "番号 123456789018 を控えた"))
            assert (refused.value.code, refused.value.field) == ("my_number", field)
            checked += 1
    assert checked == 11


@pytest.mark.parametrize("form", VALID_FORMS)
def test_generated_numbers_are_refused_by_the_write_path(form: str) -> None:
    """10,000 valid My Numbers in this form are refused by the server's write path."""
    payload = PAYLOADS[3]
    passed = []
    for text in valid_samples(form):
        try:
            check_text(with_text(payload, "description", text))
        except OpRejected as error:
            assert error.code == "my_number"
        else:
            passed.append(text)
    assert passed == []


@pytest.mark.parametrize("kind", NEAR_MISS_KINDS)
def test_near_misses_pass_the_write_path(kind: str) -> None:
    """10,000 near misses of this kind pass the server's write path."""
    payload = PAYLOADS[3]
    for text in near_miss_samples(kind):
        check_text(with_text(payload, "description", text))


def test_oversized_text_names_the_field() -> None:
    """Text over the limit is refused, naming the field."""
    with pytest.raises(OpRejected) as refused:
        check_text(with_text(PAYLOADS[3], "immediate_action", "あ" * (MAX_TEXT + 1)))
    assert (refused.value.code, refused.value.field) == ("too_long", "immediate_action")


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800"])
def test_control_characters_are_refused_in_every_free_text_field(char: str) -> None:
    """An op built by a form (never decoded against its type) is refused with the field
    named when its text holds a control character; tab and line breaks are text."""
    for payload in PAYLOADS:
        for field in free_text_fields(type(payload)):
            with pytest.raises(OpRejected) as refused:
                check_text(with_text(payload, field, f"before{char}after"))
            assert (refused.value.code, refused.value.field) == ("control_chars", field)
            check_text(with_text(payload, field, "line\tone\r\nline two"))


@pytest.mark.parametrize("form", VALID_FORMS)
def test_shapes_left_to_applying_refuse_every_my_number(form: str) -> None:
    """The op id and a count's category, whose shapes decoding leaves to ``check_op`` (the
    push path's hottest fields), refuse every valid My Number form with the field named."""
    from server.ops.apply import check_op

    for number in valid_samples(form)[:3]:
        count = ops.HeadcountAdd(
            op_id="0192f0a0-0000-7000-8000-000000000001",
            payload=ops.AddHeadcount(
                work_session_id=1, slot_start=NOW, category="issuance_reserved", delta=1
            ),
        )
        check_op(count)
        for field, bad in (
            ("op_id", msgspec.structs.replace(count, op_id=number)),
            (
                "category",
                msgspec.structs.replace(
                    count, payload=msgspec.structs.replace(count.payload, category=number)
                ),
            ),
        ):
            with pytest.raises(OpRejected) as refused:
                check_op(bad)
            assert (refused.value.code, refused.value.field) == ("invalid", field)
