"""Incident rules: filing, editing with history, status order, overdue reports.

High and critical incidents cannot close without recurrence prevention (再発防止策), and are
flagged overdue when not reported to the city in time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from server.auth.policy import Permission
from server.common.clock import JST
from server.common.errors import OpRejected
from server.incidents.ops import CreateIncident, IncidentCreate, IncidentUpdate, UpdateIncident
from server.incidents.schemas import STATUS_ORDER, IncidentOut, Revision
from server.incidents.tables import Incident, IncidentRevision
from server.messages import N_
from server.ops import merge
from server.ops.context import Applied, ApplyContext, Conflict
from server.ops.registry import Kind
from server.sites import service as sites
from server.work_sessions import service as work_sessions

SERIOUS = frozenset({"high", "critical"})
FIELDS = (
    "category",
    "severity",
    "occurred_at",
    "description",
    "immediate_action",
    "reported_to_city_at",
    "recurrence_prevention",
    "status",
)


def is_overdue(row: dict[str, Any] | IncidentOut, now: dt.datetime, minutes: int) -> bool:
    """High or critical, not yet reported to the city, and older than the deadline."""
    data = row if isinstance(row, dict) else msgspec.structs.asdict(row)
    occurred: dt.datetime = data["occurred_at"]
    return (
        data["severity"] in SERIOUS
        and data["reported_to_city_at"] is None
        and now - occurred > dt.timedelta(minutes=minutes)
    )


def _columns() -> list[Any]:
    return [
        *Incident.all_columns(),
        Incident.site.name_ja.as_alias("site_name_ja"),
        Incident.site.name_en.as_alias("site_name_en"),
    ]


def _out(row: dict[str, Any], now: dt.datetime, minutes: int) -> IncidentOut:
    data = {
        **row,
        "site_id": row["site"],
        "work_session_id": row["work_session"],
        "overdue": is_overdue(row, now, minutes),
    }
    return msgspec.convert(data, IncidentOut, strict=False)


async def get(uid: str, *, now: dt.datetime, report_minutes: int) -> IncidentOut | None:
    """One incident by its uid, or None."""
    row = await Incident.select(*_columns()).where(Incident.uid == uid).first()
    return None if row is None else _out(row, now, report_minutes)


async def get_many_by_id(
    ids: list[int], *, now: dt.datetime, report_minutes: int
) -> dict[int, IncidentOut]:
    """Incidents by database id (unknown ids are left out)."""
    if not ids:
        return {}
    rows = await Incident.select(*_columns()).where(Incident._meta.primary_key.is_in(ids))
    return {int(row["id"]): _out(row, now, report_minutes) for row in rows}


async def search(
    *,
    now: dt.datetime,
    report_minutes: int,
    site_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    status: str | None = None,
    work_session_id: int | None = None,
    limit: int = 200,
) -> list[IncidentOut]:
    """Incidents matching the filters, newest first (dates are of occurrence, in JST)."""
    query = Incident.select(*_columns())
    if site_id is not None:
        query = query.where(Incident.site == site_id)
    if work_session_id is not None:
        query = query.where(Incident.work_session == work_session_id)
    if date_from is not None:
        query = query.where(Incident.occurred_at >= dt.datetime.combine(date_from, dt.time(), JST))
    if date_to is not None:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), JST)
        query = query.where(Incident.occurred_at < end)
    if status:
        query = query.where(Incident.status == status)
    rows = await query.order_by(Incident.occurred_at, ascending=False).limit(limit)
    return [_out(r, now, report_minutes) for r in rows]


async def history(uid: str) -> list[Revision]:
    """Every edit of an incident, oldest first."""
    rows = (
        await IncidentRevision.select(
            IncidentRevision.version,
            IncidentRevision.changes,
            IncidentRevision.actor_id,
            IncidentRevision.at,
        )
        .where(IncidentRevision.incident.uid == uid)
        .order_by(IncidentRevision.version)
    )
    return [
        Revision(
            version=int(r["version"]),
            changes=msgspec.json.decode(r["changes"]),
            actor_id=r["actor_id"],
            at=r["at"],
        )
        for r in rows
    ]


async def _record(
    incident_id: int,
    version: int,
    changes: dict[str, list[Any]],
    context: ApplyContext,
    device_id: str | None,
) -> None:
    await IncidentRevision.insert(
        IncidentRevision(
            incident=incident_id,
            version=version,
            changes=msgspec.json.encode(
                {k: [merge.jsonable(a), merge.jsonable(b)] for k, (a, b) in changes.items()}
            ).decode(),
            actor_id=context.actor.staff_id,
            device_id=device_id,
            at=context.now,
        )
    )


def _require_text(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise OpRejected("required", N_("This field is required."), field=field)
    return value


async def apply_create(
    payload: CreateIncident, context: ApplyContext, *, device_id: str | None = None
) -> Applied:
    """Apply ``incident.create``."""
    if not payload.uid or len(payload.uid) > 40:
        raise OpRejected("uid_invalid", N_("The incident id is not valid."), field="uid")
    if await Incident.exists().where(Incident.uid == payload.uid):
        raise OpRejected("uid_taken", N_("This incident was already filed."), field="uid")
    site = await sites.get_site(payload.site_id)
    if site is None:
        raise OpRejected("site_unknown", N_("No such site."), field="site_id")
    if payload.work_session_id is not None:
        session = await work_sessions.get(payload.work_session_id)
        if session is None or session.site_id != site.id:
            raise OpRejected(
                "session_unknown",
                N_("No such work session at this site."),
                field="work_session_id",
            )
    if payload.occurred_at > context.now + dt.timedelta(minutes=5):
        raise OpRejected("in_future", N_("The time cannot be in the future."), field="occurred_at")
    values: dict[str, Any] = {
        "category": payload.category,
        "severity": payload.severity,
        "occurred_at": payload.occurred_at,
        "description": _require_text(payload.description, "description"),
        "immediate_action": payload.immediate_action.strip(),
        "status": "open",
    }
    incident = Incident(
        uid=payload.uid,
        site=site.id,
        work_session=payload.work_session_id,
        created_by=context.actor.staff_id,
        created_at=context.now,
        updated_at=context.now,
        version=1,
    )
    for name, value in values.items():
        setattr(incident, name, value)
    rows = await Incident.insert(incident).returning(Incident._meta.primary_key)
    incident_id = int(rows[0]["id"])
    await _record(incident_id, 1, {k: [None, v] for k, v in values.items()}, context, device_id)
    return Applied(target=f"incident:{incident_id}", entity_id=payload.uid, version=1)


async def apply_update(
    payload: UpdateIncident,
    context: ApplyContext,
    *,
    base_version: int | None = None,
    device_id: str | None = None,
) -> Applied:
    """Apply ``incident.update``: only given fields change; the edit is kept in history.

    An edit made from an older version is refused when a field it changes was changed since
    (the sync layer turns that into a conflict record for a supervisor). Changes made since
    by the same device do not count: a tablet editing offline twice from one rendered
    version saw its own first edit.
    """
    row = await Incident.select().where(Incident.uid == payload.uid).first()
    if row is None:
        raise OpRejected("incident_unknown", N_("No such incident."), field="uid")
    if row["status"] == "closed":
        raise OpRejected("incident_closed", N_("A closed incident cannot be changed."))
    wanted = {f: getattr(payload, f) for f in FIELDS if getattr(payload, f) is not msgspec.UNSET}
    if "description" in wanted:
        wanted["description"] = _require_text(wanted["description"], "description")
    for name in ("immediate_action", "recurrence_prevention"):
        if name in wanted:
            wanted[name] = wanted[name].strip()
    changes = {f: [row[f], v] for f, v in wanted.items() if row[f] != v}
    conflicts: list[Conflict] = []
    if base_version is not None and base_version < row["version"]:
        since = await IncidentRevision.select(
            IncidentRevision.changes, IncidentRevision.device_id
        ).where(
            (IncidentRevision.incident == row["id"]) & (IncidentRevision.version > base_version)
        )
        touched = merge.touched_since(
            ((msgspec.json.decode(r["changes"]).keys(), r["device_id"]) for r in since),
            device_id,
        )
        conflicts = merge.split_conflicts(changes, touched, context)
        for conflict in conflicts:
            wanted.pop(conflict.field)
    status = wanted.get("status", row["status"])
    if STATUS_ORDER.index(status) < STATUS_ORDER.index(row["status"]):
        raise OpRejected("status_backwards", N_("The status cannot go back."), field="status")
    if (
        status == "reported"
        and wanted.get("reported_to_city_at", row["reported_to_city_at"]) is None
    ):
        changes["reported_to_city_at"] = [row["reported_to_city_at"], context.now]
    severity = wanted.get("severity", row["severity"])
    prevention = wanted.get("recurrence_prevention", row["recurrence_prevention"])
    if status == "closed" and severity in SERIOUS and not prevention:
        raise OpRejected(
            "prevention_required",
            N_("A high or critical incident cannot close without recurrence prevention."),
            field="recurrence_prevention",
        )
    if not changes:
        # Every field it changes clashed: nothing to write, but the conflicts are kept.
        return Applied(
            target=f"incident:{row['id']}",
            entity_id=payload.uid,
            version=row["version"],
            conflicts=conflicts,
        )
    version = int(row["version"]) + 1
    await Incident.update(
        {
            **{getattr(Incident, f): new for f, (_, new) in changes.items()},
            Incident.version: version,
            Incident.updated_at: context.now,
        }
    ).where(Incident._meta.primary_key == row["id"])
    await _record(int(row["id"]), version, changes, context, device_id)
    return Applied(
        target=f"incident:{row['id']}", entity_id=payload.uid, version=version, conflicts=conflicts
    )


KINDS = (
    Kind(
        IncidentCreate,
        Permission.FIELD_WRITE,
        lambda op, c: apply_create(op.payload, c, device_id=op.device_id),
    ),
    Kind(
        IncidentUpdate,
        Permission.FIELD_WRITE,
        lambda op, c: apply_update(
            op.payload, c, base_version=op.base_version, device_id=op.device_id
        ),
    ),
)
"""The incident ops and the rules that apply them (installed by :mod:`server.domains`)."""
