"""One demo work session from plan to close, through the ops real use sends: planned a
week ahead and staffed, opened with the opening checks (and a counter's cards counted),
tapped through the day, closed with the closing checks and the day's card movements."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter
from typing import Literal

from server.demo.data import ISSUED, TRAFFIC
from server.ops.apply import apply_op
from server.ops.context import Actor
from server.settings import FieldSettings
from server.sites.schemas import SiteOut
from server.sync import ops
from server.work_sessions import service as work_sessions
from server.work_sessions.checks import Phase
from server.work_sessions.ops import ClosingStock

Duty = Literal["in_charge", "operator"]
PLANNED_AHEAD = dt.timedelta(days=7)
MISSED = 0.08  # how often one line of a checklist is left unticked


class Counters:
    """Each counter's cards, carried from one day's closing count to the next opening;
    deliveries come when the stock runs low."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.cards: dict[int, int] = {}

    def start(self, site_id: int) -> int:
        """The cards counted at opening: the last closing count (a first day's is made up)."""
        return self.cards.setdefault(site_id, self.rng.randint(150, 400))

    def close(self, site_id: int, issued: int, off_by: int = 0) -> ClosingStock:
        """The closing figures; ``off_by`` miscounts the end so it does not reconcile."""
        start = self.cards[site_id]
        received = self.rng.choice((100, 200)) if start < 150 else 0
        issued = min(issued, start + received)
        spoiled = 1 if self.rng.random() < 0.1 and start + received > issued else 0
        end = max(0, start + received - issued - spoiled + off_by)
        self.cards[site_id] = end
        return ClosingStock(received=received, issued=issued, spoiled=spoiled, end=end)


class Checklists:
    """The checklists of each group of sites, read once, and the lines ticked from them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lines: dict[tuple[str, Phase], list[str]] = {}

    async def ticked(self, group: str, phase: Phase) -> list[str]:
        """Every line of the list, but now and then one left out (never the stock count)."""
        if (group, phase) not in self.lines:
            found = await work_sessions.checklist(group, phase)
            self.lines[group, phase] = [line.code for line in found]
        codes = list(self.lines[group, phase])
        skippable = [code for code in codes if code != "stock_counted"]
        if skippable and self.rng.random() < MISSED:
            codes.remove(self.rng.choice(skippable))
        return codes


async def staff(
    site: SiteOut,
    start: dt.datetime,
    end: dt.datetime,
    crew: list[tuple[int, Duty]],
    boss: Actor,
    field: FieldSettings,
) -> int:
    """Plan a session a week ahead, as a past day's must have been, and assign its crew."""
    applied = await apply_op(
        ops.WorkSessionPlan(
            payload=ops.PlanWorkSession(
                site_id=site.id, work_date=start.date(), planned_start=start, planned_end=end
            )
        ),
        boss,
        field,
        now=start - PLANNED_AHEAD,
    )
    session = int(applied.entity_id or 0)
    for staff_id, duty in crew:
        assign = ops.AssignStaff(work_session_id=session, staff_id=staff_id, duty=duty)
        await apply_op(ops.WorkSessionAssign(payload=assign), boss, field)
    return session


async def open_session(
    session: int,
    site: SiteOut,
    at: dt.datetime,
    lead: Actor,
    field: FieldSettings,
    lists: Checklists,
    counters: Counters,
) -> None:
    """Open with the opening checks ticked, a counter's cards counted."""
    stock = counters.start(site.id) if site.counted_as == work_sessions.STOCK_GROUP else None
    payload = ops.OpenWorkSession(
        work_session_id=session,
        at=at,
        checks=await lists.ticked(site.counted_as, "open"),
        stock_start=stock,
    )
    await apply_op(ops.WorkSessionOpen(payload=payload), lead, field, now=at)


async def close_session(
    session: int,
    site: SiteOut,
    at: dt.datetime,
    lead: Actor,
    field: FieldSettings,
    lists: Checklists,
    stock: ClosingStock | None,
) -> None:
    """Close with the closing checks ticked and the day's card movements."""
    payload = ops.CloseWorkSession(
        work_session_id=session,
        at=at,
        checks=await lists.ticked(site.counted_as, "close"),
        stock=stock,
    )
    await apply_op(ops.WorkSessionClose(payload=payload), lead, field, now=at)


async def tap(
    session: int,
    site: SiteOut,
    start: dt.datetime,
    until: dt.datetime,
    worker: Actor,
    field: FieldSettings,
    rng: random.Random,
    busy: int = 0,
) -> Counter[str]:
    """Tap the day's headcounts slot by slot (``busy`` more a slot at an event); the taps
    made, by category."""
    (low, high), mix = TRAFFIC.get(site.code) or TRAFFIC[site.counted_as]
    minutes = field.slot_minutes
    made: Counter[str] = Counter()
    slot = start
    while slot < until:
        for _ in range(rng.randint(low, high + busy)):
            category = rng.choice(mix)
            add = ops.AddHeadcount(
                work_session_id=session, slot_start=slot, category=category, delta=1
            )
            await apply_op(
                ops.HeadcountAdd(payload=add, op_id=str(uuid.uuid4())),
                worker,
                field,
                now=slot + dt.timedelta(minutes=rng.randint(0, minutes - 1)),
            )
            made[category] += 1
        slot += dt.timedelta(minutes=minutes)
    return made


def issued(made: Counter[str]) -> int:
    """Cards handed over, as the issuance taps counted them."""
    return sum(n for category, n in made.items() if category in ISSUED)
