"""Headcount rules: append-only increments, exact sums, never below zero."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Any

import httpx
import pytest

from server import db
from server.common.errors import OpRejected
from server.db_errors import INTEGRITY_ERRORS
from server.headcounts import adds, store
from server.headcounts import service as headcounts
from server.settings import Settings
from server.sync import ops
from tests import dbutil
from tests.support.field import apply, new_uid, open_session, window


def add(session: int, slot: dt.datetime, category: str, delta: int) -> ops.HeadcountAdd:
    """A headcount op."""
    return ops.HeadcountAdd(
        payload=ops.AddHeadcount(
            work_session_id=session, slot_start=slot, category=category, delta=delta
        )
    )


async def count(
    field: dict[str, int],
    settings: Settings,
    slot: dt.datetime,
    category: str,
    delta: int,
    *,
    by: str = "operator",
    role: str = "operator",
) -> None:
    """Apply one count to the field's session, by the field's ``by`` acting as ``role``."""
    await apply(add(field["session"], slot, category, delta), field[by], role, settings)


async def refusal(pending: Awaitable[None]) -> OpRejected:
    """The refusal ``pending`` (a count or other write) must end in."""
    with pytest.raises(OpRejected) as refused:
        await pending
    return refused.value


@pytest.fixture
async def field(client: httpx.AsyncClient, settings: Settings) -> dict[str, int]:
    """An open session at an office site (本庁舎, id 1)."""
    return await open_session(settings, site_id=1)


async def test_totals_are_exact_sums(field: dict[str, int], settings: Settings) -> None:
    """Totals per category and per slot are the sums of the increments."""
    _, start, _ = window()
    later = start + dt.timedelta(minutes=30)
    for slot, category, delta in (
        (start, "issuance_reserved", 1),
        (start, "issuance_reserved", 1),
        (later, "issuance_reserved", 3),
        (later, "pin_reset", 1),
        (later, "issuance_reserved", -1),
    ):
        await count(field, settings, slot, category, delta)
    totals = await headcounts.totals(field["session"])
    assert totals.by_category == {"issuance_reserved": 4, "pin_reset": 1}
    assert totals.by_slot == {start.astimezone(dt.UTC): 2, later.astimezone(dt.UTC): 3}
    assert totals.total == 5


async def test_total_never_goes_below_zero(field: dict[str, int], settings: Settings) -> None:
    """A correction that would make a category's total negative is refused."""
    _, start, _ = window()
    await count(field, settings, start, "consultation", 1)
    await count(field, settings, start, "consultation", -1)
    refused = await refusal(count(field, settings, start, "consultation", -1))
    assert refused.code == "below_zero"
    assert refused.field == "delta"
    assert (await headcounts.totals(field["session"])).by_category == {"consultation": 0}


@pytest.mark.parametrize(
    ("change", "code", "field_name"),
    [
        ({"delta": 0}, "delta_invalid", "delta"),
        ({"delta": 101}, "delta_invalid", "delta"),
        ({"category": "visitors"}, "category_unknown", "category"),
        ({"category": "nonsense"}, "category_unknown", "category"),
        ({"slot": dt.timedelta(hours=-2)}, "slot_outside", "slot_start"),
        ({"slot": dt.timedelta(hours=9)}, "slot_outside", "slot_start"),
        ({"slot": dt.timedelta(minutes=7)}, "slot_outside", "slot_start"),
    ],
    ids=[
        "zero",
        "too-big",
        "outreach-category-at-office",
        "unknown-category",
        "before",
        "after",
        "misaligned",
    ],
)
async def test_bad_counts_name_the_field(
    field: dict[str, int],
    settings: Settings,
    change: dict[str, Any],
    code: str,
    field_name: str,
) -> None:
    """Zero or huge counts, wrong categories and slots outside the session are refused."""
    _, start, _ = window()
    refused = await refusal(
        count(
            field,
            settings,
            start + change.get("slot", dt.timedelta()),
            str(change.get("category", "issuance_reserved")),
            int(change.get("delta", 1)),
        )
    )
    assert (refused.code, refused.field) == (code, field_name)
    assert (await headcounts.totals(field["session"])).total == 0


async def test_counts_need_an_open_session(field: dict[str, int], settings: Settings) -> None:
    """After closing, counts are refused."""
    _, start, end = window()
    await apply(
        ops.WorkSessionClose(
            payload=ops.CloseWorkSession(work_session_id=field["session"], at=end)
        ),
        field["operator"],
        "operator",
        settings,
    )
    refused = await refusal(count(field, settings, start, "issuance_reserved", 1))
    assert refused.code == "session_not_open"


async def test_city_staff_cannot_count(field: dict[str, int], settings: Settings) -> None:
    """City staff read field data but cannot write it."""
    _, start, _ = window()
    refused = await refusal(
        count(field, settings, start, "issuance_reserved", 1, by="manager", role="city_staff")
    )
    assert refused.code == "forbidden"


async def test_a_count_for_no_session_is_refused_by_its_cell(
    field: dict[str, int], database_url: str
) -> None:
    """The statement that stores counts refuses one whose session does not exist, though
    ``headcount`` has no foreign key (migration m0009): its cell references the session."""
    _, start, _ = window()
    missing = field["session"] + 1000
    with pytest.raises(INTEGRITY_ERRORS):
        async with db.writing():
            await store.store(
                [(missing, start, "issuance_reserved", 1, None, new_uid())],
                field["operator"],
                dt.datetime.now(dt.UTC),
                list,
            )
    stored = dbutil.fetch(
        database_url, f"SELECT count(*) FROM headcount WHERE work_session = {missing}"
    )
    assert stored == [(0,)]


def frames(error: BaseException) -> int:
    """How many frames an exception's traceback holds."""
    count, tb = 0, error.__traceback__
    while tb is not None:
        count, tb = count + 1, tb.tb_next
    return count


async def test_a_refusal_raised_again_keeps_no_old_frames(
    field: dict[str, int], settings: Settings
) -> None:
    """Refusals are shared instances; raised for count after count they hold only the last
    raise's frames (a raise adds to the traceback an exception already has)."""
    _, start, _ = window()
    depths = []
    for _ in range(3):
        refused = await refusal(count(field, settings, start, "issuance_reserved", 0))
        depths.append(frames(refused))
    assert depths[0] == depths[1] == depths[2]
    assert adds.DELTA_INVALID is refused
