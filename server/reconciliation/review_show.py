"""How a kept op reads on the review page: its kind, its reason and what it would change.

Labels are English message ids the page translates; values that are codes (a category, a
severity, a site) are shown by their label or name, times in Japan time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from server.common.dates import long_moment
from server.common.labels import FIELD_LABELS, SITE_GROUP_LABELS, VENUE_SERVICE_LABELS
from server.common.mynumber import MESSAGE_EN as MY_NUMBER_MESSAGE
from server.common.text import CONTROL_MESSAGE
from server.headcounts.schemas import Category
from server.incidents.schemas import CATEGORY_LABELS, SEVERITY_LABELS, STATUS_LABELS
from server.messages import N_
from server.sites.schemas import SiteOut


class Shown(msgspec.Struct, frozen=True, kw_only=True):
    """One line of what an op would change: ``label`` and ``text`` are message ids when
    ``translate``; ``text_en`` is the English name of something named in both languages."""

    label: str
    text: str
    text_en: str | None = None
    translate: bool = False


OP_LABELS: dict[str, str] = {
    "site.add_venue": N_("Add an outreach venue"),
    "site.retire": N_("Retire a venue"),
    "work_session.plan": N_("Plan a work session"),
    "work_session.assign": N_("Assign someone to a work session"),
    "work_session.unassign": N_("Remove someone from a work session"),
    "work_session.open": N_("Open a work session"),
    "work_session.close": N_("Close a work session"),
    "work_session.reopen": N_("Reopen a work session"),
    "work_session.update": N_("Change a work session"),
    "headcount.add": N_("Count"),
    "headcount.category_add": N_("Add a category"),
    "headcount.category_set_active": N_("Retire or restore a category"),
    "incident.create": N_("File an incident"),
    "incident.update": N_("Change an incident"),
}

# Shown elsewhere on the card (the work session, the incident's link).
NOT_LISTED = frozenset({"uid", "work_session_id"})
TIMES = frozenset(
    {"planned_start", "planned_end", "at", "slot_start", "occurred_at", "reported_to_city_at"}
)
CHOICES: dict[str, dict[str, str]] = {
    "venue_kind": {
        "university": N_("University or college"),
        "commercial": N_("Commercial facility"),
        "community_hall": N_("Community hall"),
        "other": N_("Other venue"),
    },
    "duty": {"in_charge": N_("In charge"), "operator": N_("Operator")},
    "site_group": SITE_GROUP_LABELS,
    "venue_service": VENUE_SERVICE_LABELS,
    "severity": SEVERITY_LABELS,
    "status": STATUS_LABELS,
    "active": {"true": N_("Counted again"), "false": N_("No longer counted")},
}

# Reasons for refusals kept without a message id (rows from before they were kept, and
# refusals the sync layer makes itself); anything else falls back to FALLBACK by its code.
CODE_MESSAGES: dict[str, str] = {
    "actor_unverified": N_("The person who made this change could not be verified."),
    "op_id_reused": N_("This change's id was already used."),
    "invalid": N_("This change could not be read (a value of the wrong kind or out of range)."),
    "forbidden": N_("Your role does not allow this."),
    "my_number": MY_NUMBER_MESSAGE,
    "control_chars": CONTROL_MESSAGE,
    "conflict": N_("Another device changed this field first."),
    "session_not_open": N_("Counts can only be recorded while the work session is open."),
    "prevention_required": N_(
        "A high or critical incident cannot close without recurrence prevention."
    ),
}
FALLBACK = N_("This change was refused (reason code: %(code)s).")


def reason(code: str, message: str, params_json: str) -> tuple[str, dict[str, Any]]:
    """The reason to show: the kept message id and its values, else one by ``code``.

    A message whose values are missing or unreadable is replaced too: the page must
    never fail on a kept row.
    """
    try:
        params = msgspec.json.decode(params_json or "{}")
    except msgspec.DecodeError:
        params = {}
    if not isinstance(params, dict):
        params = {}
    if message:
        try:
            message % params  # fills every %(name)s, or raises
        except (KeyError, TypeError, ValueError):
            pass
        else:
            return message, params
    if code in CODE_MESSAGES:
        return CODE_MESSAGES[code], {}
    return FALLBACK, {"code": code}


class Names(msgspec.Struct, frozen=True, kw_only=True):
    """What values name, looked up once for a page: people, sites, headcount categories."""

    staff: Mapping[int, str] = {}
    sites: Mapping[int, SiteOut] = {}
    categories: Mapping[str, Category] = {}


def show_value(op_type: str, name: str, value: Any, names: Names) -> Shown:
    """One field's value, labelled, as the page shows it."""
    label = FIELD_LABELS.get(name, name)
    if value is None:
        return Shown(label=label, text="—")
    key = str(value).lower() if isinstance(value, bool) else str(value)
    if name == "category" and op_type.startswith("incident."):
        return _choice(label, CATEGORY_LABELS, key)
    if name in ("category", "code") and key in names.categories:
        category = names.categories[key]
        return Shown(label=label, text=category.label_ja, text_en=category.label_en)
    if name in CHOICES:
        return _choice(label, CHOICES[name], key)
    if name in TIMES:
        return Shown(label=label, text=long_moment(value, "ja"), text_en=long_moment(value, "en"))
    if name == "site_id" and isinstance(value, int) and value in names.sites:
        site = names.sites[value]
        return Shown(label=label, text=site.name_ja, text_en=site.name_en)
    if name == "staff_id" and isinstance(value, int) and value in names.staff:
        return Shown(label=label, text=names.staff[value])
    if name == "delta" and isinstance(value, int) and not isinstance(value, bool):
        return Shown(label=label, text=f"{value:+d}")
    if isinstance(value, (dict, list)):
        return Shown(label=label, text=msgspec.json.encode(value).decode())
    return Shown(label=label, text=key)


def _choice(label: str, choices: Mapping[str, str], key: str) -> Shown:
    if key in choices:
        return Shown(label=label, text=choices[key], translate=True)
    return Shown(label=label, text=key)


def changes(op_type: str, payload: Mapping[str, Any], names: Names) -> list[Shown]:
    """Every field the op's payload sets, in its order (the session and incident aside)."""
    return [
        show_value(op_type, name, value, names)
        for name, value in payload.items()
        if name not in NOT_LISTED
    ]


def decode_json(text: str) -> Any:
    """Kept JSON text decoded, or None when it cannot be read (a masked bare number)."""
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError:
        return None
