"""What each kind of open problem says, once for pages and the CLI alike, and the CLI's
stable JSON shape. Messages are English ids with ``%(name)s`` figures from the finding's
``params``; a translation (``gettext``) is passed in, so this module needs no web layer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from server.messages import N_
from server.reconciliation.schemas import Finding

Translate = Callable[[str], str]

MESSAGES: dict[str, str] = {
    "device_mismatch": N_(
        "%(device)s: the device made %(device_count)s changes that day, the server received "
        "%(server_count)s."
    ),
    "device_silent": N_(
        "%(device)s has not synced for %(minutes)s minutes (last at %(last_contact)s) while "
        "the work session %(start)s–%(end)s it works is open."
    ),
    "sync_rejected": N_("A change from %(device)s (%(op)s) was refused and waits for review."),
    "sync_conflict": N_(
        "A change from %(device)s (%(op)s) conflicts on %(field)s: a supervisor chooses."
    ),
    "session_open_late": N_("The work session %(start)s–%(end)s is still open after its end."),
    "session_never_opened": N_("The work session %(start)s–%(end)s was never opened."),
    "session_understaffed": N_(
        "The work session %(start)s–%(end)s has %(staff)s people of the %(minimum)s needed, "
        "%(in_charge)s in charge."
    ),
    "apps_over_visitors": N_(
        "Work session %(start)s–%(end)s, slot %(slot)s: %(applications)s applications but "
        "%(visitors)s visitors."
    ),
    "count_outside_window": N_(
        "Work session %(start)s–%(end)s: %(n)s counted in slot %(slot)s, outside its hours."
    ),
    "no_counts": N_(
        "The open work session %(start)s–%(end)s has no counts for %(minutes)s minutes."
    ),
    "device_outlier": N_(
        "Work session %(start)s–%(end)s: %(device)s counted %(total)s, the other devices "
        "%(median)s each (median)."
    ),
    "incident_overdue": N_(
        "An incident of %(occurred)s (%(severity)s) was not reported to the city in time."
    ),
    "incident_no_prevention": N_(
        "An incident of %(occurred)s (%(severity)s) has no recurrence prevention."
    ),
    "journal_not_submitted": N_("The day's journal has not been submitted."),
    "journal_changed": N_(
        "The journal changed since it was submitted: %(categories)s categories differ."
    ),
}
# Figures that are themselves message ids (a kind of op, a field, a severity): translated
# with the message.
TRANSLATED = frozenset({"op", "field", "severity"})
HEADLINE = N_("%(open)s open problems, %(blocking)s blocking sign-off.")
NOTHING_OPEN = N_("Nothing open.")
BLOCKING_MARK = N_("[blocks sign-off]")


def message(finding: Finding, gettext: Translate) -> str:
    """The finding's message in the language of ``gettext``."""
    params = {
        name: gettext(value) if name in TRANSLATED and isinstance(value, str) else value
        for name, value in finding.params.items()
    }
    return gettext(MESSAGES[finding.kind]) % params


def as_json(
    day: dt.date, site_code: str | None, findings: list[Finding], gettext: Translate
) -> dict[str, Any]:
    """The CLI's ``--json`` shape (documented in README): stable keys, one entry per
    finding with its Japanese message."""
    return {
        "date": day.isoformat(),
        "site": site_code,
        "open": len(findings),
        "blocking": sum(f.blocking for f in findings),
        "findings": [
            {
                "kind": f.kind,
                "site": f.site_code,
                "key": f.key,
                "blocking": f.blocking,
                "message_ja": message(f, gettext),
                "params": f.params,
                "work_session_id": f.work_session_id,
                "incident_uid": f.incident_uid,
                "device_uid": f.device_uid,
                "sync_issue_id": f.sync_issue_id,
            }
            for f in findings
        ],
    }


def lines(day: dt.date, findings: list[Finding], gettext: Translate) -> list[str]:
    """The CLI's lines for people: a headline, then one line per finding with its site."""
    if not findings:
        return [f"{day.isoformat()} {gettext(NOTHING_OPEN)}"]
    blocking = sum(f.blocking for f in findings)
    head = gettext(HEADLINE) % {"open": len(findings), "blocking": blocking}
    found = [f"{day.isoformat()} {head}"]
    for f in findings:
        mark = f" {gettext(BLOCKING_MARK)}" if f.blocking else ""
        site = f.site_name_ja or f.site_code or "-"
        found.append(f"- {site}: {message(f, gettext)}{mark}")
    return found
