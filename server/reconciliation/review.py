"""Review (保留・要確認): refused and conflicting synced ops, settled by a supervisor.

Accepting applies the kept op through the one write path as the supervisor's decision (a
conflict: the tablet's value over the current one); dismissing applies nothing and needs a
reason. Either marks the row settled and is audited in the same transaction, so a row is
settled once, by one person, whatever the race.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import msgspec

from server import db
from server.audit import service as audit
from server.common.dates import long_date
from server.common.errors import OpRejected
from server.common.labels import FIELD_LABELS
from server.common.parsing import hhmm
from server.db_errors import INFRASTRUCTURE, INTEGRITY_ERRORS
from server.headcounts import service as headcounts
from server.incidents import service as incidents
from server.messages import N_
from server.ops.apply import apply_op, check_free_text
from server.ops.context import Actor, Applied
from server.reconciliation import review_show as show
from server.settings import FieldSettings
from server.sites import service as sites
from server.staff import service as staff
from server.sync import devices, ops
from server.sync.push import UNPROCESSABLE
from server.sync.tables import SyncIssue
from server.work_sessions import service as work_sessions

LIMIT = 200
MAX_REASON = 1000
# Kept with a number masked, never readable, or failing the server itself: applying it
# as it is would be wrong, or fail again.
ONLY_DISMISS = frozenset({"my_number", "invalid", "unprocessable"})
CONFLICT_OPS = frozenset({"incident.update", "work_session.update"})

# What keep() leaves of a My Number or a control character: applying it would store text
# the maker never wrote.
_ALTERED = re.compile("\\*{4}|\ufffd")
UNKNOWN = OpRejected("issue_unknown", N_("Nothing to review under this number."))
SETTLED = OpRejected("issue_settled", N_("Someone has already settled this change."))
NOT_AS_IT_IS = OpRejected(
    "not_acceptable", N_("This change cannot be applied as it is. It can only be dismissed.")
)


class SessionRef(msgspec.Struct, frozen=True, kw_only=True):
    """The work session an op belongs to, as a line of text in each language."""

    id: int
    text_ja: str
    text_en: str


class Item(msgspec.Struct, frozen=True, kw_only=True):
    """An open refused or conflicting op, ready for the page (message ids untranslated)."""

    id: int
    status: str
    code: str
    op_type: str
    op_label: str
    op_id: str
    received: dt.datetime
    reason: str
    params: dict[str, Any]
    maker: str | None
    uploaded_by: str | None
    device: str
    session: SessionRef | None
    incident_uid: str | None
    changes: list[show.Shown]
    conflict_field: str | None = None
    server_value: show.Shown | None = None
    incoming_value: show.Shown | None = None
    acceptable: bool


def _op_dict(row: dict[str, Any]) -> dict[str, Any]:
    found = show.decode_json(str(row["op"]))
    return found if isinstance(found, dict) else {}


def _decoded(row: dict[str, Any]) -> ops.Op | None:
    """The kept op as the push read it, or None when it cannot be (or must not be) applied."""
    if row["code"] in ONLY_DISMISS or _ALTERED.search(str(row["op"])):
        return None
    try:
        decoded: ops.Op = msgspec.json.decode(str(row["op"]), type=ops.Op)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return decoded


def acceptable(row: dict[str, Any]) -> bool:
    """Whether accepting could apply the row's op (the rules may still refuse it)."""
    op = _decoded(row)
    if op is None:
        return False
    if row["status"] == "conflict":
        return row["op_type"] in CONFLICT_OPS and bool(row["field"])
    return True


async def list_open(field: FieldSettings) -> tuple[list[Item], int]:
    """The oldest unsettled ops (at most :data:`LIMIT`), and how many there are in all."""
    rows = (
        await SyncIssue.select()
        .where(SyncIssue.resolved.eq(False))
        .order_by(SyncIssue._meta.primary_key)
        .limit(LIMIT)
    )
    total = await SyncIssue.count().where(SyncIssue.resolved.eq(False))
    return await _items(rows, field), int(total)


async def _items(rows: list[dict[str, Any]], field: FieldSettings) -> list[Item]:
    payloads = [_op_dict(row).get("payload") or {} for row in rows]
    payloads = [p if isinstance(p, dict) else {} for p in payloads]
    now = dt.datetime.now(dt.UTC)
    incident_sessions: dict[str, int | None] = {}
    for payload in payloads:
        uid = payload.get("uid")
        if isinstance(uid, str) and "work_session_id" not in payload:
            found = await incidents.get(uid, now=now, report_minutes=field.incident_report_minutes)
            incident_sessions[uid] = found.work_session_id if found else None
    session_ids = {_session_id(p, incident_sessions) for p in payloads} - {None}
    sessions = await work_sessions.get_many([i for i in session_ids if i], with_staff=False)
    people = {person.id: person.display_name for person in await staff.list_staff()}
    labels = {d.device_id: d.label for d in await devices.list_devices()}
    site_ids = [p["site_id"] for p in payloads if isinstance(p.get("site_id"), int)]
    categories = {
        c.code: c
        for group in headcounts.GROUPS
        for c in await headcounts.categories(group, include_inactive=True)
    }
    names = show.Names(staff=people, sites=await sites.get_many(site_ids), categories=categories)
    items = []
    for row, payload in zip(rows, payloads, strict=True):
        session_id = _session_id(payload, incident_sessions)
        session = sessions.get(session_id) if session_id else None
        items.append(_item(row, payload, names, labels, session))
    return items


def _session_id(payload: dict[str, Any], incident_sessions: dict[str, int | None]) -> int | None:
    found = payload.get("work_session_id")
    if isinstance(found, int) and not isinstance(found, bool):
        return found
    uid = payload.get("uid")
    return incident_sessions.get(uid) if isinstance(uid, str) else None


def _session_ref(session: Any) -> SessionRef:
    hours = f"{hhmm(session.planned_start)}–{hhmm(session.planned_end)}"
    return SessionRef(
        id=session.id,
        text_ja=f"{session.site_name_ja} {long_date(session.work_date, 'ja')} {hours}",
        text_en=(
            f"{session.site_name_en or session.site_name_ja} "
            f"{long_date(session.work_date, 'en')} {hours}"
        ),
    )


def _item(
    row: dict[str, Any],
    payload: dict[str, Any],
    names: show.Names,
    labels: dict[str, str],
    session: Any,
) -> Item:
    op_type = str(row["op_type"])
    message, params = show.reason(str(row["code"]), str(row["message"]), str(row["params"]))
    conflict = row["status"] == "conflict" and bool(row["field"])
    field = str(row["field"])
    uid = payload.get("uid")
    return Item(
        id=int(row["id"]),
        status=str(row["status"]),
        code=str(row["code"]),
        op_type=op_type,
        op_label=show.OP_LABELS.get(op_type, op_type),
        op_id=str(row["op_id"]),
        received=row["created_at"],
        reason=message,
        params=params,
        maker=names.staff.get(row["actor_id"]) if row["actor_id"] else None,
        uploaded_by=names.staff.get(row["uploaded_by"]) if row["uploaded_by"] else None,
        device=labels.get(str(row["device_uid"])) or str(row["device_uid"])[:8],
        session=_session_ref(session) if session else None,
        incident_uid=uid if isinstance(uid, str) and op_type.startswith("incident.") else None,
        changes=show.changes(op_type, payload, names),
        conflict_field=FIELD_LABELS.get(field, field) if conflict else None,
        server_value=_kept_value(op_type, field, row["server_value"], names) if conflict else None,
        incoming_value=(
            _kept_value(op_type, field, row["incoming_value"], names) if conflict else None
        ),
        acceptable=acceptable(row),
    )


def _kept_value(op_type: str, field: str, text: str, names: show.Names) -> show.Shown:
    return show.show_value(op_type, field, show.decode_json(text), names)


async def _open_row(issue_id: int) -> dict[str, Any]:
    row = await SyncIssue.select().where(SyncIssue._meta.primary_key == issue_id).first()
    if row is None:
        raise UNKNOWN
    if row["resolved"]:
        raise SETTLED
    return row


async def _to_apply(row: dict[str, Any], field: FieldSettings) -> ops.Op:
    """The op accepting applies: the kept one, or for a conflict an edit of the one field
    to the tablet's value, made from the current version."""
    op = _decoded(row)
    if op is None or not acceptable(row):
        raise NOT_AS_IT_IS
    if row["status"] != "conflict":
        return op
    incoming = show.decode_json(str(row["incoming_value"]))
    if isinstance(op, ops.IncidentUpdate):
        now = dt.datetime.now(dt.UTC)
        minutes = field.incident_report_minutes
        current = await incidents.get(op.payload.uid, now=now, report_minutes=minutes)
        key: dict[str, Any] = {"uid": op.payload.uid}
        version = current.version if current else None
    elif isinstance(op, ops.WorkSessionUpdate):
        session = await work_sessions.get(op.payload.work_session_id)
        key = {"work_session_id": op.payload.work_session_id}
        version = session.version if session else None
    else:
        raise NOT_AS_IT_IS
    edit = {
        "type": row["op_type"],
        "actor_id": op.actor_id,
        "base_version": version,
        "payload": {**key, str(row["field"]): incoming},
    }
    try:
        changed: ops.Op = msgspec.json.decode(msgspec.json.encode(edit), type=ops.Op)
    except msgspec.ValidationError as error:
        raise NOT_AS_IT_IS from error
    return changed


async def _settle(row: dict[str, Any], actor: Actor, resolution: str, note: str) -> None:
    """Mark the row settled and audit it (``review.accept`` or ``review.dismiss``, its
    ids and codes only), inside the caller's transaction; refuse if someone was first."""
    issue_id = int(row["id"])
    claimed = (
        await SyncIssue.update(
            {
                SyncIssue.resolved: True,
                SyncIssue.resolution: resolution,
                SyncIssue.resolved_by: actor.staff_id,
                SyncIssue.resolved_at: dt.datetime.now(dt.UTC),
                SyncIssue.resolution_note: note,
            }
        )
        .where((SyncIssue._meta.primary_key == issue_id) & SyncIssue.resolved.eq(False))
        .returning(SyncIssue._meta.primary_key)
    )
    if not claimed:
        raise SETTLED
    await audit.record(
        "review.accept" if resolution == "accepted" else "review.dismiss",
        actor_id=actor.staff_id,
        device_id=str(row["device_uid"]),
        target=f"sync_issue:{issue_id}",
        detail=_detail(row),
    )


def _detail(row: dict[str, Any]) -> dict[str, Any]:
    """What the audit entry names: ids and codes only."""
    return {
        "issue_id": int(row["id"]),
        "op_id": str(row["op_id"]),
        "maker_id": row["actor_id"],
        "status": str(row["status"]),
        "code": str(row["code"]),
    }


async def accept(issue_id: int, actor: Actor, field: FieldSettings) -> Applied:
    """Apply a kept op as ``actor``'s decision and settle it, audited ``review.accept``.

    Raises:
        OpRejected: Unknown or settled already, not applicable as it is, or refused again
            by the op's rules (then nothing changed and the row stays open).
    """
    row = await _open_row(issue_id)
    op = await _to_apply(row, field)
    try:
        async with db.writing():
            await _settle(row, actor, "accepted", "")
            applied = await apply_op(op, actor, field)
    except (OpRejected, *INFRASTRUCTURE):
        raise
    except INTEGRITY_ERRORS as error:
        raise OpRejected("op_id_reused", show.CODE_MESSAGES["op_id_reused"]) from error
    except Exception as error:  # the database could not take it: nothing changed
        raise UNPROCESSABLE from error
    return applied


def check_reason(text: str) -> str:
    """A dismissal's reason, trimmed: required, plain text, no My Number.

    Raises:
        OpRejected: Naming the field ``reason``.
    """
    text = text.strip()
    if not text:
        raise OpRejected("required", N_("This field is required."), field="reason")
    check_free_text("reason", text, MAX_REASON)
    return text


async def dismiss(issue_id: int, actor: Actor, reason: str) -> None:
    """Settle a kept op without applying it (the server's value stays), audited
    ``review.dismiss``; the reason is kept on the row, never in the audit log.

    Raises:
        OpRejected: No reason or a refused one, unknown or settled already.
    """
    note = check_reason(reason)
    row = await _open_row(issue_id)
    async with db.writing():
        await _settle(row, actor, "dismissed", note)
