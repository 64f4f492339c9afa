"""Every open problem of a day, from one function: the reconciliation page, the journal's
"open problems" and ``madoguchi reconcile`` all read :func:`find`.

A handful of set-based reads per call, whatever the number of sessions: the day's sites,
sessions with their staff, incidents, cells (``headcount_cell``), devices, the audit
entries naming the day's sessions, the per-device totals, the review queue and the day's
journals. The rules themselves are pure (:mod:`server.reconciliation.rules`). A problem a
supervisor has explained is to be left out by a table of settled keys (a later part of
issue 20): :func:`find` is where that filter goes, on :attr:`Finding.key`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from server.audit.tables import AuditEvent
from server.common.parsing import hhmm
from server.headcounts import service as headcounts
from server.incidents import service as incidents
from server.incidents.schemas import SEVERITY_LABELS, IncidentOut
from server.journal import standing
from server.journal.schemas import JournalDay
from server.journal.workflow import differences
from server.reconciliation import review, rules, service, store
from server.reconciliation.schemas import FINDING_KINDS, Finding, FindingKind, Param
from server.settings import FieldSettings
from server.sites import service as sites
from server.sites.schemas import SiteOut
from server.sync.tables import Device
from server.work_sessions import service as work_sessions
from server.work_sessions.schemas import WorkSessionOut

# More than a day can hold at every site: the reads are bounded, never cut short.
MAX_ROWS = 100_000
ORDER = {kind: index for index, kind in enumerate(FINDING_KINDS)}
Cells = dict[tuple[dt.datetime, str], int]


class _Make:
    """Makes the findings of one call: the site's code and names, and whether it blocks."""

    def __init__(self, site_rows: dict[int, SiteOut], blocking: frozenset[str]) -> None:
        self.sites = site_rows
        self.blocking = blocking

    def __call__(
        self,
        kind: FindingKind,
        site_id: int | None,
        key: str,
        params: dict[str, Param],
        **refs: Any,
    ) -> Finding:
        site = self.sites.get(site_id) if site_id is not None else None
        return Finding(
            kind=kind,
            site_id=site_id,
            site_code=site.code if site else None,
            site_name_ja=site.name_ja if site else "",
            site_name_en=site.name_en if site else "",
            key=key,
            blocking=kind in self.blocking,
            params=params,
            **refs,
        )


def _hours(session: WorkSessionOut) -> dict[str, Param]:
    return {"start": hhmm(session.planned_start), "end": hhmm(session.planned_end)}


def _sort_key(finding: Finding) -> tuple[Any, ...]:
    """Site, kind (in the order of :data:`FindingKind`), then the key with its numbers
    compared as numbers (``session:9`` before ``session:10``)."""
    parts = tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in finding.key.replace(":", " ").split()
    )
    return (finding.site_id is None, finding.site_id or 0, ORDER[finding.kind], parts)


async def find(
    day: dt.date, site_id: int | None, field: FieldSettings, now: dt.datetime
) -> list[Finding]:
    """Every open problem of ``day`` (the JST work date), at one site or all, as of ``now``,
    in a stable order: site, kind, key."""
    site_rows = {s.id: s for s in await sites.list_sites(include_retired=True)}
    make = _Make(site_rows, field.blocking_findings)
    sessions = await work_sessions.search(
        site_id=site_id, date_from=day, date_to=day, limit=MAX_ROWS
    )
    day_incidents = await incidents.search(
        site_id=site_id,
        date_from=day,
        date_to=day,
        now=now,
        report_minutes=field.incident_report_minutes,
        limit=MAX_ROWS,
    )
    cells = await headcounts.cells([s.id for s in sessions])
    found = [
        *_session_findings(make, sessions, now, field),
        *_count_findings(make, sessions, cells, now, field),
        *await _device_findings(make, day, sessions, now, field),
        *_sync_findings(make, await _sync_items(sessions, day_incidents, field)),
        *_incident_findings(make, day_incidents),
        *await _journal_findings(make, day, site_id, sessions, cells),
    ]
    if site_id is not None:
        found = [f for f in found if f.site_id == site_id]
    return sorted(found, key=_sort_key)


def _session_findings(
    make: _Make, sessions: list[WorkSessionOut], now: dt.datetime, field: FieldSettings
) -> Iterable[Finding]:
    for s in sessions:
        key = f"session:{s.id}"
        if rules.open_late(s, now):
            yield make("session_open_late", s.site_id, key, _hours(s), work_session_id=s.id)
        if rules.never_opened(s, now):
            yield make("session_never_opened", s.site_id, key, _hours(s), work_session_id=s.id)
        if rules.understaffed(s, field.min_staff):
            params = {
                **_hours(s),
                "staff": len(s.staff),
                "minimum": field.min_staff,
                "in_charge": 0 if s.in_charge is None else 1,
            }
            yield make("session_understaffed", s.site_id, key, params, work_session_id=s.id)


def _count_findings(
    make: _Make,
    sessions: list[WorkSessionOut],
    cells: dict[int, Cells],
    now: dt.datetime,
    field: FieldSettings,
) -> Iterable[Finding]:
    for s in sessions:
        mine = cells.get(s.id, {})
        refs = {"work_session_id": s.id}
        visitors, applications = field.visitor_categories, field.application_categories
        for slot, apps, seen in rules.apps_over_visitors(mine, visitors, applications):
            params = {**_hours(s), "slot": hhmm(slot), "applications": apps, "visitors": seen}
            key = _slot_key(s.id, slot)
            yield make("apps_over_visitors", s.site_id, key, params, **refs)
        window = set(headcounts.session_slots(s, field.slot_minutes))
        for slot, n in rules.outside_window(mine, window):
            params = {**_hours(s), "slot": hhmm(slot), "n": n}
            yield make("count_outside_window", s.site_id, _slot_key(s.id, slot), params, **refs)
        idle = rules.minutes_without_counts(s, mine, now, field.slot_minutes)
        if idle is not None and idle >= field.no_counts_minutes:
            params = {**_hours(s), "minutes": idle}
            yield make("no_counts", s.site_id, f"session:{s.id}", params, **refs)


def _slot_key(session_id: int, slot: dt.datetime) -> str:
    return f"slot:{session_id}:{hhmm(slot)}"


async def _device_findings(
    make: _Make,
    day: dt.date,
    sessions: list[WorkSessionOut],
    now: dt.datetime,
    field: FieldSettings,
) -> list[Finding]:
    """Devices whose day report disagrees with what arrived, devices silent while a
    session they worked is open, and one device's total far from the others'."""
    devices = {
        str(d["uid"]): d
        for d in await Device.select(
            Device.uid, Device.label, Device.site, Device.last_seen_at, Device.revoked_at
        )
    }
    by_id = {s.id: s for s in sessions}
    worked: dict[str, list[WorkSessionOut]] = {}
    if sessions:
        targets = [f"work_session:{s.id}" for s in sessions]
        rows = await (
            AuditEvent.select(AuditEvent.device_id, AuditEvent.target)
            .where(AuditEvent.device_id.is_not_null() & AuditEvent.target.is_in(targets))
            .distinct()
        )
        for row in rows:
            session = by_id[int(str(row["target"]).split(":")[1])]
            worked.setdefault(str(row["device_id"]), []).append(session)

    def label(uid: str) -> str:
        device = devices.get(uid)
        return str(device["label"]) if device and device["label"] else uid[:8]

    found = []
    for compared in await service.compare_day(day):
        if compared.device_count is None or compared.matches:
            continue
        uid = compared.device_id
        device = devices.get(uid)
        site = device["site"] if device else None
        if site is None and worked.get(uid):
            site = min(worked[uid], key=lambda s: s.id).site_id
        params: dict[str, Param] = {
            "device": label(uid),
            "device_count": compared.device_count,
            "server_count": compared.server_count,
        }
        found.append(make("device_mismatch", site, f"device:{uid}", params, device_uid=uid))
    for uid, worked_on in sorted(worked.items()):
        device = devices.get(uid)
        if device is None or device["revoked_at"] is not None:
            continue
        last = device["last_seen_at"]
        for s in sorted({s.id: s for s in worked_on}.values(), key=lambda s: s.id):
            if s.status != "open" or not rules.silent(last, now, field.device_silent_minutes):
                continue
            params = {
                **_hours(s),
                "device": label(uid),
                "last_contact": hhmm(last) if last else "-",
                "minutes": int((now - last).total_seconds() // 60) if last else 0,
            }
            key = f"session:{s.id}:device:{uid}"
            found.append(
                make("device_silent", s.site_id, key, params, work_session_id=s.id, device_uid=uid)
            )
    totals = await store.device_totals([s.id for s in sessions])
    for session_id, by_device in sorted(totals.items()):
        s = by_id[session_id]
        for uid, total, median in rules.outliers(
            by_device, field.outlier_factor, field.outlier_min_total
        ):
            params = {**_hours(s), "device": label(uid), "total": total, "median": median}
            key = f"session:{s.id}:device:{uid}"
            found.append(
                make("device_outlier", s.site_id, key, params, work_session_id=s.id, device_uid=uid)
            )
    return found


async def _sync_items(
    sessions: list[WorkSessionOut], day_incidents: list[IncidentOut], field: FieldSettings
) -> list[tuple[int, review.Item]]:
    """The review queue's open items that belong to these sessions or incidents, each with
    its site: refused or conflicting changes to the day's records."""
    session_sites = {s.id: s.site_id for s in sessions}
    incident_sites = {i.uid: i.site_id for i in day_incidents}
    items, _ = await review.list_open(field)
    found = []
    for item in items:
        site = session_sites.get(item.session.id) if item.session else None
        if site is None and item.incident_uid is not None:
            site = incident_sites.get(item.incident_uid)
        if site is not None:
            found.append((site, item))
    return found


async def open_sync_items(day: dt.date, site_id: int, field: FieldSettings) -> list[review.Item]:
    """The synced changes of one site's day still waiting for a supervisor (the journal's
    section; the same items :func:`find` reports as ``sync_rejected``/``sync_conflict``)."""
    sessions = await work_sessions.search(
        site_id=site_id, date_from=day, date_to=day, limit=MAX_ROWS
    )
    day_incidents = await incidents.search(
        site_id=site_id,
        date_from=day,
        date_to=day,
        now=dt.datetime.now(dt.UTC),
        report_minutes=field.incident_report_minutes,
        limit=MAX_ROWS,
    )
    return [item for _, item in await _sync_items(sessions, day_incidents, field)]


def _sync_findings(make: _Make, items: list[tuple[int, review.Item]]) -> Iterable[Finding]:
    for site, item in items:
        conflict = item.status == "conflict"
        params: dict[str, Param] = {"device": item.device, "op": item.op_label}
        if conflict:
            params["field"] = item.conflict_field or ""
        yield make(
            "sync_conflict" if conflict else "sync_rejected",
            site,
            f"issue:{item.id}",
            params,
            sync_issue_id=item.id,
            work_session_id=item.session.id if item.session else None,
            incident_uid=item.incident_uid,
        )


def _incident_findings(make: _Make, day_incidents: list[IncidentOut]) -> Iterable[Finding]:
    for i in day_incidents:
        params: dict[str, Param] = {
            "occurred": hhmm(i.occurred_at),
            "severity": SEVERITY_LABELS.get(i.severity, i.severity),
        }
        refs = {"incident_uid": i.uid, "work_session_id": i.work_session_id}
        key = f"incident:{i.uid}"
        if i.overdue:
            yield make("incident_overdue", i.site_id, key, params, **refs)
        if i.severity in incidents.SERIOUS and not i.recurrence_prevention.strip():
            yield make("incident_no_prevention", i.site_id, key, params, **refs)


async def _journal_findings(
    make: _Make,
    day: dt.date,
    site_id: int | None,
    sessions: list[WorkSessionOut],
    cells: dict[int, Cells],
) -> list[Finding]:
    """A site that worked that day without a submitted journal (none, or returned by the
    city), and a submitted journal whose counts changed since (as the journal page shows)."""
    journals = await standing.of_day(day, site_id)
    live: dict[int, dict[str, int]] = {}
    for s in sessions:
        by_category = live.setdefault(s.site_id, {})
        for (_slot, code), n in cells.get(s.id, {}).items():
            by_category[code] = by_category.get(code, 0) + n
    worked = {s.site_id for s in sessions if s.actual_start is not None}
    found = []
    for site in sorted(worked | set(journals)):
        journal = journals.get(site)
        key = f"journal:{site}:{day.isoformat()}"
        if site in worked and (journal is None or journal.status not in SUBMITTED):
            found.append(make("journal_not_submitted", site, key, {}))
        site_row = make.sites.get(site)
        if journal is None or journal.frozen is None or site_row is None:
            continue
        changed = differences(journal.frozen, _live_day(site_row, day, live.get(site, {})))
        if changed:
            found.append(make("journal_changed", site, key, {"categories": len(changed)}))
    return found


# A journal the city has (submitted, acknowledged); a returned one waits for its revision.
SUBMITTED = frozenset({"submitted", "acknowledged"})


def _live_day(site: SiteOut, day: dt.date, by_category: dict[str, int]) -> JournalDay:
    """The live figures :func:`server.journal.workflow.differences` compares (the counts
    by category), without compiling the whole journal."""
    return JournalDay(
        site=site,
        day=day,
        sessions=[],
        on_duty=[],
        categories=[],
        slots=[],
        cells={},
        by_category=by_category,
        by_slot={},
        total=sum(by_category.values()),
        faults=[],
        complaints=[],
        incidents=[],
    )
