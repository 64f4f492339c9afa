"""Realistic demo data for ``madoguchi demo``: a week of field work. Rerunning is safe.

Everything goes through the one write path (``apply_op``), as real use would; the people
are made directly (they have no passkeys: invite one with ``madoguchi invite`` to sign in).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Literal

from server import db
from server.common.clock import JST
from server.journal import ops as journal_ops
from server.ops.apply import apply_op
from server.ops.context import Actor
from server.settings import FieldSettings, Settings
from server.sites import service as sites
from server.sites.schemas import SiteOut
from server.staff import service as staff_service
from server.staff.tables import Staff
from server.sync import ops

Duty = Literal["in_charge", "operator"]
DEMO_HOURS = (dt.time(9), dt.time(17))
PLANNED_AHEAD = dt.timedelta(days=7)
MAX_LOOK_BACK = 60  # days
DEMO_VENUES = (
    (
        "kwansei-uegahara",
        "関西学院大学 上ケ原キャンパス",
        "Kwansei Gakuin University, Uegahara",
        "西宮市上ケ原一番町1-155",
        "university",
    ),
    (
        "gardens",
        "阪急西宮ガーデンズ",
        "Hankyu Nishinomiya Gardens",
        "西宮市高松町14-2",
        "commercial",
    ),
    (
        "chuo-kominkan",
        "中央公民館",
        "Central Community Hall",
        "西宮市高松町4-8 プレラにしのみや4階",
        "community_hall",
    ),
)
PEOPLE = (
    ("総括 太郎", "overall_manager"),
    ("業務 一郎", "business_manager"),
    ("業務 二葉", "business_manager"),
    ("副責 三奈", "deputy_manager"),
    ("副責 四郎", "deputy_manager"),
    *((f"従事 {name}", "operator") for name in ("五月", "六助", "七海", "八雲", "九十九", "十和")),
    ("市民課 職員", "city_staff"),
)
INCIDENTS: tuple[tuple[ops.IncidentCategory, ops.Severity, str], ...] = (
    ("complaint", "medium", "待ち時間が長いとの苦情。整理券の案内を強化。"),
    ("system_failure", "high", "交付端末が約20分応答せず。J-LIS側の障害と判明。"),
    ("equipment_failure", "low", "写真用プリンターの紙詰まり。予備機に切替。"),
    ("lost_property", "low", "会場で傘の忘れ物。施設管理者へ引渡し。"),
    ("personal_information", "critical", "申請書控えを別の方に渡しかけ、その場で回収。"),
    ("accident_injury", "medium", "来場者が段差でつまずく。けがなし。注意表示を設置。"),
    ("unreasonable_demand", "high", "職員への大声での威圧的要求。警備員と対応。"),
    ("other", "low", "駐車場案内の問い合わせが多数。案内板を追加。"),
    ("complaint", "low", "スマホ申請サポートの説明がわかりにくいとの意見。"),
    ("system_failure", "medium", "予約システムのログインに時間がかかる。"),
    ("equipment_failure", "medium", "タブレットの充電不足。充電器を追加。"),
    ("complaint", "high", "郵送交付の説明不足で再来庁となった件。"),
)


async def _people() -> dict[str, list[int]]:
    by_role: dict[str, list[int]] = {}
    async with db.writing():
        for name, role in PEOPLE:
            staff_id = await staff_service.create_staff(
                display_name=name, role=role, user_handle=f"demo-{uuid.uuid4().hex}"
            )
            by_role.setdefault(role, []).append(staff_id)
    return by_role


async def load_demo(
    settings: Settings, *, days: int = 7, seed: int = 2026, today: dt.date | None = None
) -> dict[str, int]:
    """Add the demo data that is not there yet.

    Args:
        settings: Field settings (slot length) for the ops.
        days: How many of the counters' opening days up to today get work sessions.
        seed: Random seed, so two runs on empty databases give the same week.
        today: The last day (JST today when omitted).

    Returns:
        Counts of what was added.
    """
    added = {"venues": 0, "sessions": 0, "taps": 0, "incidents": 0, "journals": 0}
    worked: list[tuple[int, dt.date]] = []
    venue_ids = []
    for code, name_ja, name_en, address, kind in DEMO_VENUES:
        try:
            site = await sites.add_outreach_venue(
                code=code,
                name_ja=name_ja,
                name_en=name_en,
                address=address,
                venue_kind=kind,
                # A mall hosts application support; the rest take applications to mail out.
                venue_service="support" if kind == "commercial" else "reception",
            )
            added["venues"] += 1
        except sites.SiteCodeTaken:
            site = next(s for s in await sites.list_sites() if s.code == code)
        venue_ids.append(site.id)
    if await Staff.exists().where(Staff.user_handle.like("demo-%")):
        return added  # the week is already there
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    # Incidents draw from their own stream, so a change in what taps count moves none.
    chance = random.Random(seed + 1)  # noqa: S311 - demo data, not security
    people = await _people()
    boss = Actor(staff_id=people["overall_manager"][0], role="overall_manager")
    field = settings.field
    today = today or dt.datetime.now(JST).date()
    fixed_sites = [s for s in await sites.list_sites() if s.fixed][:3]
    in_charge_pool = people["business_manager"] + people["deputy_manager"]
    for day in await _opening_days(fixed_sites, today, days):
        offset = (today - day).days
        plan = [
            (site.id, *hours) for site in fixed_sites if (hours := await _open_hours(site, day))
        ]  # アクタ opens at weekends and on holidays; every counter closes at the year's end
        if day.weekday() < 5:
            plan.append((venue_ids[offset % len(venue_ids)], dt.time(10), dt.time(15)))
        operators = list(people["operator"])
        managers = list(in_charge_pool)
        rng.shuffle(operators)
        rng.shuffle(managers)
        for index, (site_id, start_time, end_time) in enumerate(plan):
            if index >= len(managers):
                break
            start = dt.datetime.combine(day, start_time, JST)
            end = dt.datetime.combine(day, end_time, JST)
            applied = await apply_op(
                ops.WorkSessionPlan(
                    payload=ops.PlanWorkSession(
                        site_id=site_id, work_date=day, planned_start=start, planned_end=end
                    )
                ),
                boss,
                field,
                now=start - PLANNED_AHEAD,  # planned ahead, as a past day must have been
            )
            session = int(applied.entity_id or 0)
            added["sessions"] += 1
            if offset > 0:
                worked.append((site_id, day))
            crew: list[tuple[int, Duty]] = [(managers[index], "in_charge")]
            crew += [(operators.pop(), "operator") for _ in range(min(2, len(operators)))]
            for staff_id, duty in crew:
                await apply_op(
                    ops.WorkSessionAssign(
                        payload=ops.AssignStaff(
                            work_session_id=session, staff_id=staff_id, duty=duty
                        )
                    ),
                    boss,
                    field,
                )
            worker = Actor(staff_id=crew[-1][0], role="operator")
            if offset == 0 and index == 0:
                continue  # one session today stays planned, ready to open
            await apply_op(
                ops.WorkSessionOpen(payload=ops.OpenWorkSession(work_session_id=session, at=start)),
                worker,
                field,
                now=start,
            )
            added["taps"] += await _taps(
                session, site_id in venue_ids, start, end, worker, settings, rng
            )
            if offset > 0:
                await apply_op(
                    ops.WorkSessionClose(
                        payload=ops.CloseWorkSession(work_session_id=session, at=end)
                    ),
                    worker,
                    field,
                    now=end,
                )
            if added["incidents"] < len(INCIDENTS) and chance.random() < 0.5:
                await _incident(added["incidents"], site_id, session, start, worker, settings)
                added["incidents"] += 1
    site_days = sorted(set(worked), key=lambda key: (key[1], key[0]))
    added["journals"] = await _journals(site_days, people, field)
    return added


async def _journals(
    days: list[tuple[int, dt.date]], people: dict[str, list[int]], field: FieldSettings
) -> int:
    """Each past site-day's journal submitted that evening by a business manager; the city
    acknowledges them the next morning but the last few; the first is returned with a
    comment and revised with a reason before it is acknowledged."""
    manager = Actor(staff_id=people["business_manager"][0], role="business_manager")
    city = Actor(staff_id=people["city_staff"][0], role="city_staff")
    for index, (site_id, day) in enumerate(days):
        evening = dt.datetime.combine(day, dt.time(18), JST)
        morning = evening + dt.timedelta(hours=15)
        notes = "特記事項なし。" if index % 2 else "午前中、交付端末の動作が一時遅くなった。"
        submit = journal_ops.SubmitJournal(
            site_id=site_id, day=day, base_version=0, notes=notes, handover=""
        )
        await apply_op(journal_ops.JournalSubmit(payload=submit), manager, field, now=evening)
        if index == 0:
            comment = "苦情の対応内容を特記事項に追記してください。"
            back = journal_ops.ReviewJournal(site_id=site_id, day=day, version=1, comment=comment)
            await apply_op(journal_ops.JournalReturn(payload=back), city, field, now=morning)
            again = journal_ops.SubmitJournal(
                site_id=site_id,
                day=day,
                base_version=1,
                notes=f"{notes}待ち時間の苦情には整理券の案内で対応した。",
                reason="市からの差し戻しを受けて苦情対応を追記",
            )
            later = morning + dt.timedelta(hours=1)
            await apply_op(journal_ops.JournalSubmit(payload=again), manager, field, now=later)
        at = morning + dt.timedelta(hours=2)
        if index < len(days) - 3 and at < dt.datetime.now(dt.UTC):
            seen = journal_ops.ReviewJournal(
                site_id=site_id, day=day, version=2 if index == 0 else 1
            )
            await apply_op(journal_ops.JournalAcknowledge(payload=seen), city, field, now=at)
    return len(days)


async def _opening_days(fixed: list[SiteOut], today: dt.date, days: int) -> list[dt.date]:
    """The last ``days`` days up to ``today`` on which a counter opens, oldest first (the
    year's end and its closed days are passed over)."""
    found: list[dt.date] = []
    day = today
    while len(found) < days and (today - day).days < MAX_LOOK_BACK:
        if any([await _open_hours(site, day) for site in fixed]):
            found.append(day)
        day -= dt.timedelta(days=1)
    return found[::-1]


async def _open_hours(site: SiteOut, day: dt.date) -> tuple[dt.time, dt.time] | None:
    """A fixed site's demo window on ``day``: 9:00–17:00 within its opening hours, or None
    when its calendar has it closed."""
    opened = await sites.opening_of(site, day)
    if not opened.is_open:
        return None
    if opened.hours is None:
        return DEMO_HOURS
    return max(DEMO_HOURS[0], opened.hours.opens), min(DEMO_HOURS[1], opened.hours.closes)


async def _taps(
    session: int,
    outreach: bool,
    start: dt.datetime,
    end: dt.datetime,
    worker: Actor,
    settings: Settings,
    rng: random.Random,
) -> int:
    minutes = settings.field.slot_minutes
    codes = (
        ["visitors"] * 6
        + ["applications_collect"] * 2
        + [
            "smartphone_support",
            "photo",
            "consultation",
            "face_auth_card",
            "not_accepted_documents",
        ]
        if outreach
        else ["issuance_reserved"] * 3
        + ["issuance_walkin"] * 2
        + ["application_new", "pin_reset", "certificate_renewal", "card_update", "consultation"]
        + ["phone"]
    )
    taps, slot = 0, start
    while slot < end:
        for _ in range(rng.randint(4, 12)):
            await apply_op(
                ops.HeadcountAdd(
                    payload=ops.AddHeadcount(
                        work_session_id=session,
                        slot_start=slot,
                        category=rng.choice(codes),
                        delta=1,
                    ),
                    op_id=str(uuid.uuid4()),
                ),
                worker,
                settings.field,
                now=slot + dt.timedelta(minutes=rng.randint(0, minutes - 1)),
            )
            taps += 1
        slot += dt.timedelta(minutes=minutes)
    return taps


async def _incident(
    index: int, site_id: int, session: int, start: dt.datetime, worker: Actor, settings: Settings
) -> None:
    category, severity, text = INCIDENTS[index]
    uid = str(uuid.uuid4())
    occurred = start + dt.timedelta(hours=2, minutes=index * 7 % 50)
    await apply_op(
        ops.IncidentCreate(
            payload=ops.CreateIncident(
                uid=uid,
                site_id=site_id,
                work_session_id=session,
                category=category,
                severity=severity,
                occurred_at=occurred,
                description=text,
                immediate_action="責任者に報告し、その場で対応。",
            )
        ),
        worker,
        settings.field,
        now=occurred + dt.timedelta(minutes=5),
    )
    if index % 3 == 2:
        return  # some stay open (and serious ones go overdue)
    await apply_op(
        ops.IncidentUpdate(payload=ops.UpdateIncident(uid=uid, status="reported"), base_version=1),
        worker,
        settings.field,
        now=occurred + dt.timedelta(minutes=30),
    )
    if index % 3 == 0:
        await apply_op(
            ops.IncidentUpdate(
                payload=ops.UpdateIncident(
                    uid=uid,
                    status="closed",
                    recurrence_prevention="手順書を改訂し、朝礼で全員に周知した。",
                ),
                base_version=2,
            ),
            worker,
            settings.field,
            now=occurred + dt.timedelta(days=1),
        )
