"""The monthly performance report: a page with a month and a site chosen, and the same
report as a CSV file for the city."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

from litestar import Response, get
from litestar.params import FromQuery
from litestar.response import Template

from server.auth.policy import Permission
from server.common.labels import SITE_GROUP_LABELS
from server.common.parsing import hhmm, parse_id, today_jst
from server.incidents.schemas import CATEGORY_LABELS, SEVERITY_LABELS
from server.messages import N_
from server.reports import charts, service
from server.reports.export import monthly_csv
from server.reports.schemas import MonthlyReport, change
from server.sites import service as sites
from server.sites.schemas import SiteOut
from server.web.dependencies import AppSettings
from server.web.errors import error_page
from server.web.pages import SignedInRequest, found, page, translate

READ = {"permission": Permission.READ_ALL}
BAD_MONTH = N_("Enter a month as YYYY-MM.")
FUTURE_MONTH = N_("A monthly report can only be shown for this month or an earlier one.")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_month(text: str, this_month: dt.date) -> dt.date:
    """The first day of a month typed as ``YYYY-MM``, no later than ``this_month``.

    Raises:
        ValueError: Malformed (the message id :data:`BAD_MONTH`) or in the future
            (:data:`FUTURE_MONTH`).
    """
    matched = _MONTH.fullmatch(text.strip())
    try:
        month = dt.date(int(matched.group(1)), int(matched.group(2)), 1) if matched else None
    except ValueError:
        month = None
    if month is None:
        raise ValueError(BAD_MONTH)
    if month > this_month:
        raise ValueError(FUTURE_MONTH)
    return month


async def _chosen_site(
    request: SignedInRequest, site_id: str | None
) -> tuple[list[SiteOut], int | None]:
    """Every site for the form, and the one asked for (None: all); an unknown one is a 404."""
    choices = await sites.list_sites(include_retired=True)
    if not site_id:
        return choices, None
    try:
        wanted = parse_id(site_id)
    except ValueError:
        wanted = None
    chosen = found(request, next((s for s in choices if s.id == wanted), None), N_("No such site."))
    return choices, chosen.id


async def _report(settings: AppSettings, month: dt.date, site_id: int | None) -> MonthlyReport:
    return await service.monthly(
        month,
        site_id,
        now=dt.datetime.now(dt.UTC),
        report_minutes=settings.field.incident_report_minutes,
    )


@get("/reports/monthly", opt=READ)
async def monthly(
    request: SignedInRequest,
    settings: AppSettings,
    month: FromQuery[str | None] = None,
    site_id: FromQuery[str | None] = None,
) -> Template:
    """The monthly performance report (実績報告書), last month's for all sites by default."""
    choices, chosen = await _chosen_site(request, site_id)
    this_month = today_jst().replace(day=1)
    errors: dict[str, str] = {}
    chosen_month: dt.date | None = service.month_before(this_month)
    if month:
        try:
            chosen_month = parse_month(month, this_month)
        except ValueError as error:
            chosen_month, errors["month"] = None, translate(request, str(error))
    report = await _report(settings, chosen_month, chosen) if chosen_month else None
    context = {
        "sites": choices,
        "site_id": chosen,
        "month": month or (chosen_month or this_month).strftime("%Y-%m"),
        "max_month": this_month.strftime("%Y-%m"),
        "report": report,
        "errors": errors,
        "charts": charts,
        "change": change,
        "hhmm": hhmm,
        "group_labels": SITE_GROUP_LABELS,
        "incident_labels": CATEGORY_LABELS,
        "severity_labels": SEVERITY_LABELS,
    }
    return page(request, "reports/monthly.html", context, status_code=400 if errors else 200)


@get("/reports/monthly.csv", opt=READ)
async def monthly_csv_file(
    request: SignedInRequest,
    settings: AppSettings,
    month: FromQuery[str | None] = None,
    site_id: FromQuery[str | None] = None,
) -> Response[bytes] | Template:
    """The report as CSV (:mod:`server.reports.export`), named 実績報告書_YYYY-MM.csv."""
    _, chosen = await _chosen_site(request, site_id)
    this_month = today_jst().replace(day=1)
    try:
        chosen_month = parse_month(month or "", this_month)
    except ValueError as error:
        # The month's own reason, where a plain 400 would only say the request was bad.
        return error_page(request, translate(request, str(error)), 400)
    report = await _report(settings, chosen_month, chosen)
    stamp = chosen_month.strftime("%Y-%m")
    # An ASCII name for old clients, the Japanese one in RFC 5987's form for the others.
    disposition = (
        f'attachment; filename="report_{stamp}.csv"; '
        f"filename*=UTF-8''{quote(f'実績報告書_{stamp}.csv')}"
    )
    return Response(
        monthly_csv(report, request.app.state.catalogs["ja"].gettext),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )


ROUTES = [monthly, monthly_csv_file]
