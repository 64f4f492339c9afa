"""The incident report as tables for its files: the report item by item in the published
order (its CSV too), and the 経緯 with its times. Labels in the page's language."""

from __future__ import annotations

from typing import Any

from litestar import Request

from server.common.exports import Row
from server.incidents.schemas import CATEGORY_LABELS, SEVERITY_LABELS, IncidentOut
from server.journal.report_schemas import (
    DEADLINE_LABELS,
    DEADLINE_STATES,
    HARM_LABELS,
    PERSONAL_DATA,
    PUBLICATION_LABELS,
    STATUS_LABELS,
    ReportContent,
)
from server.messages import N_
from server.web.pages import translate

Sheet = tuple[str, list[Row]]


def tables(request: Request[Any, Any, Any], context: dict[str, Any]) -> list[Sheet]:
    """The sheets of the report in ``context`` (as :mod:`.report_routes` builds it)."""
    _ = lambda message: translate(request, message)  # noqa: E731 - a short local alias
    incident: IncidentOut = context["incident"]
    content: ReportContent = context["content"]
    record = context["record"]
    lang = context["lang"]
    status = record.status if record else "draft"
    items: list[Row] = [
        [_(N_("Item")), _(N_("Content"))],
        [_(N_("Site")), incident.site_name(lang)],
        [
            _(N_("Occurred at (JST)")),
            incident.occurred_at.astimezone(context["jst"]).strftime("%Y-%m-%d %H:%M"),
        ],
        [_(N_("Category")), _(CATEGORY_LABELS[incident.category])],
        [_(N_("Severity")), _(SEVERITY_LABELS[incident.severity])],
        [_(N_("Status")), _(STATUS_LABELS[status])],
        [_(N_("Version")), record.version if record else 0],
        [_(N_("Summary")), content.summary],
        [_(N_("Response to the people concerned")), content.response],
        [_(N_("Cause")), content.cause],
        [_(N_("Recurrence prevention")), content.prevention],
        [_(N_("Follow-up")), content.follow_up],
    ]
    if incident.category == PERSONAL_DATA:
        items += _commission_rows(content, context, _)
    timeline: list[Row] = [[_(N_("Time (JST)")), _(N_("What happened"))]]
    timeline += [
        [e.at.astimezone(context["jst"]).strftime("%Y-%m-%d %H:%M"), e.text]
        for e in content.timeline
    ]
    return [(_(N_("Incident report")), items), (_(N_("Timeline")), timeline)]


def _commission_rows(content: ReportContent, context: dict[str, Any], _: Any) -> list[Row]:
    """The items of a report to the Personal Information Protection Commission."""
    harm = HARM_LABELS.get(content.secondary_harm)
    published = PUBLICATION_LABELS.get(content.publication)
    rows: list[Row] = [
        [_(N_("Items leaked or lost")), content.leaked_items],
        [
            _(N_("Number of people concerned")),
            content.persons if content.persons is not None else "",
        ],
        [_(N_("Secondary harm")), _(harm) if harm else ""],
        [_(N_("Response to the people themselves")), content.persons_response],
        [_(N_("Publication")), _(published) if published else ""],
        [_(N_("Possibly malicious")), _(N_("Yes")) if content.malicious else _(N_("No"))],
        [
            _(N_("Discovered on")),
            content.discovered_on.isoformat() if content.discovered_on else "",
        ],
    ]
    for deadline in context["deadlines"]:
        said = _(DEADLINE_STATES[deadline.state]) % {"date": deadline.shown_date.isoformat()}
        rows.append([_(DEADLINE_LABELS[deadline.kind]), said])
    return rows
