"""A demo day at a time: which counters and venue open, who works them, what is counted,
checked and filed; kept together so the month's stock and paperwork carry over."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import NamedTuple

from server.common.clock import JST
from server.demo import records, shifts
from server.demo.data import EVENT_HOURS, INCIDENTS, VENUE_HOURS
from server.ops.context import Actor
from server.settings import FieldSettings
from server.sites.schemas import SiteOut
from server.work_sessions.service import STOCK_GROUP

# Operators beside the person in charge; the quiet sites need one.
CREW = {"call-center": 1, "koshikiiwa": 1, "nishinomiyahama": 1}
OUTREACH_DAYS = 0.85  # the share of working days with a venue out in town
EVENT_BUSY = 2  # more taps a slot at a weekend event


class Slot(NamedTuple):
    """A site's window on a day, and how much busier than usual it is."""

    site: SiteOut
    opens: dt.time
    closes: dt.time
    busy: int = 0


class Worked(NamedTuple):
    """A session that opened, for incidents to happen in."""

    site: SiteOut
    session: int
    start: dt.datetime
    end: dt.datetime
    lead: Actor


class Month:
    """The demo month's state: its random streams, people, venues in turn, card stock."""

    def __init__(
        self,
        people: dict[str, list[int]],
        venues: list[SiteOut],
        field: FieldSettings,
        seed: int,
        added: dict[str, int],
    ) -> None:
        """``added``: the counts of what is made, kept up as it is."""
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not security
        # Incidents and checks draw from their own streams, so a change in taps moves none.
        self.chance = random.Random(seed + 1)  # noqa: S311
        tick = random.Random(seed + 2)  # noqa: S311
        self.lists, self.counters = shifts.Checklists(tick), shifts.Counters(tick)
        self.people, self.venues, self.field = people, venues, field
        self.boss = Actor(staff_id=people["overall_manager"][0], role="overall_manager")
        self.roles = {i: role for role, ids in people.items() for i in ids}
        self.events = [v for v in venues if v.counted_as == "support"]
        self.turn = 0
        self.added = added
        self.worked: list[records.SiteDay] = []
        self.notes: dict[records.SiteDay, str] = {}
        self.returned: records.SiteDay | None = None
        self.miscounts: dict[dt.date, int] = {}
        self.incidents: dict[dt.date, list[int]] = {}

    def schedule(self, days: Sequence[dt.date], today: dt.date) -> None:
        """Spread the incidents over the past days, and miscount a counter's cards on two."""
        past = [day for day in days if day < today]
        for index in range(len(INCIDENTS) if past else 0):
            self.incidents.setdefault(past[index * len(past) // len(INCIDENTS)], []).append(index)
        if len(past) >= 3:
            self.miscounts = {past[len(past) // 3]: -1, past[2 * len(past) // 3]: 2}

    def plan(self, day: dt.date, counters: list[Slot]) -> list[Slot]:
        """The counters open on ``day``, with a venue on most working days (in turn) and
        an event at a mall or station on Saturdays."""
        plan = list(counters)
        # A working day opens more than ACTA (which alone opens at weekends and on holidays).
        if day.weekday() < 5 and len(counters) > 1 and self.rng.random() < OUTREACH_DAYS:
            venue = self.venues[self.turn % len(self.venues)]
            self.turn += 1
            plan.append(Slot(venue, *VENUE_HOURS))
        elif day.weekday() == 5 and counters and self.events:
            event = self.events[day.toordinal() // 7 % len(self.events)]
            plan.append(Slot(event, *EVENT_HOURS, busy=EVENT_BUSY))
        return plan

    async def day(self, day: dt.date, plan: list[Slot], today: dt.date) -> None:
        """Work ``day``: past sessions closed, today's left open (the first still planned)."""
        operators = list(self.people["operator"])
        managers = self.people["business_manager"] + self.people["deputy_manager"]
        self.rng.shuffle(operators)
        self.rng.shuffle(managers)
        worked: list[Worked] = []
        wall = dt.datetime.now(JST)
        for index, slot in enumerate(plan[: len(managers)]):
            start = dt.datetime.combine(day, slot.opens, JST)
            end = dt.datetime.combine(day, slot.closes, JST)
            size = min(CREW.get(slot.site.code, 2), len(operators))
            crew: list[tuple[int, shifts.Duty]] = [(managers[index], "in_charge")]
            crew += [(operators.pop(), "operator") for _ in range(size)]
            session = await shifts.staff(slot.site, start, end, crew, self.boss, self.field)
            self.added["sessions"] += 1
            if day < today:
                self.worked.append((slot.site.id, day))
            elif index == 0 or (day == wall.date() and start > wall):
                continue  # one session today stays planned, ready to open (all before 9:00)
            lead = Actor(staff_id=managers[index], role=self.roles[managers[index]])
            worker = Actor(staff_id=crew[-1][0], role="operator") if size else lead
            await self._work(slot, session, start, end, lead, worker, day < today)
            worked.append(Worked(slot.site, session, start, end, lead))
        for index in self.incidents.get(day, []):
            await self._incident(index, day, worked)

    async def _work(
        self,
        slot: Slot,
        session: int,
        start: dt.datetime,
        end: dt.datetime,
        lead: Actor,
        worker: Actor,
        past: bool,
    ) -> None:
        site, field = slot.site, self.field
        await shifts.open_session(session, site, start, lead, field, self.lists, self.counters)
        self.added["checks"] += 1
        # Today's counts stop at the clock; a past (or a test's future) day's run all day.
        wall = dt.datetime.now(JST)
        until = min(end, wall) if start.date() == wall.date() else end
        made = await shifts.tap(session, site, start, until, worker, field, self.rng, slot.busy)
        self.added["taps"] += sum(made.values())
        if not past:
            return  # today's sessions are still open
        stock = None
        if site.counted_as == STOCK_GROUP:
            off_by = self.miscounts.pop(start.date(), 0)
            stock = self.counters.close(site.id, shifts.issued(made), off_by)
            if off_by:
                self.notes[site.id, start.date()] = (
                    f"閉庁時のカード在庫が帳簿と{abs(off_by)}枚合わない。翌朝に再計数する。"
                )
        await shifts.close_session(session, site, end, lead, field, self.lists, stock)
        self.added["checks"] += 1

    async def _incident(self, index: int, day: dt.date, worked: list[Worked]) -> None:
        """File incident ``index`` at a session of ``day`` of the kind of place it fits."""
        if not worked:
            return
        place = INCIDENTS[index][2]
        fits = [w for w in worked if place == "any" or (place == "counter") == w.site.fixed]
        at = self.chance.choice(fits or worked)
        minutes = int((at.end - at.start).total_seconds() // 60)
        occurred = at.start + dt.timedelta(minutes=self.chance.randint(30, max(30, minutes - 60)))
        status = records.statuses(len(INCIDENTS))[index]
        await records.incident(index, status, at.site.id, at.session, occurred, at.lead, self.field)
        self.added["incidents"] += 1
        if index == 0:
            # The month's first complaint: its journal leaves it out and is sent back.
            self.returned = (at.site.id, day)
            self.notes[self.returned] = "午前中は来庁者が多かった。"
        else:
            self.notes.setdefault((at.site.id, day), "インシデント1件。報告書のとおり対応した。")
