"""The monthly performance report: a page with a month and a site chosen, and the same
report as files for the city: CSV, an XLSX workbook and the printed page as PDF."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from litestar import Response, get
from litestar.params import FromQuery
from litestar.response import Template

from server.auth.policy import Permission
from server.common import exports
from server.common.labels import SITE_GROUP_LABELS
from server.common.parsing import hhmm, parse_id, today_jst
from server.incidents.schemas import CATEGORY_LABELS, SEVERITY_LABELS
from server.messages import N_
from server.reports import charts, service
from server.reports.export import monthly_csv, monthly_sheets
from server.reports.schemas import MonthlyReport, change
from server.sites import service as sites
from server.sites.schemas import SiteOut
from server.web.dependencies import AppSettings
from server.web.errors import error_page
from server.web.pages import SignedInRequest, found, page, render, translate

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


def _shown(report: MonthlyReport | None) -> dict[str, Any]:
    """What the report's template (``reports/_report.html``) needs, on the page or printed."""
    return {
        "report": report,
        "charts": charts,
        "change": change,
        "hhmm": hhmm,
        "group_labels": SITE_GROUP_LABELS,
        "incident_labels": CATEGORY_LABELS,
        "severity_labels": SEVERITY_LABELS,
    }


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
        "errors": errors,
        **_shown(report),
    }
    return page(request, "reports/monthly.html", context, status_code=400 if errors else 200)


async def _file_report(
    request: SignedInRequest, settings: AppSettings, month: str | None, site_id: str | None
) -> MonthlyReport | Template:
    """The report a file is asked for, or the page saying why the month is refused: the
    month's own reason, where a plain 400 would only say the request was bad."""
    _, chosen = await _chosen_site(request, site_id)
    try:
        chosen_month = parse_month(month or "", today_jst().replace(day=1))
    except ValueError as error:
        return error_page(request, translate(request, str(error)), 400)
    return await _report(settings, chosen_month, chosen)


@get(["/reports/monthly.csv", "/reports/monthly.xlsx", "/reports/monthly.pdf"], opt=READ)
async def monthly_file(
    request: SignedInRequest,
    settings: AppSettings,
    month: FromQuery[str | None] = None,
    site_id: FromQuery[str | None] = None,
) -> Response[bytes] | Template:
    """The report as a file named 実績報告書_YYYY-MM: CSV, or one XLSX workbook for the
    city (the total's sheet, then a sheet per site), both in Japanese; or the page as
    printed (charts included, no forms) in the page's language, as PDF."""
    report = await _file_report(request, settings, month, site_id)
    if not isinstance(report, MonthlyReport):
        return report
    kind = request.url.path.rpartition(".")[2]
    if kind == "pdf":
        css = exports.stylesheets("print")
        html = render(request, "reports/print.html", {**_shown(report), "inline_css": css})
        body = await exports.pdf_file(html)
    elif kind == "xlsx":
        body = exports.xlsx_bytes(monthly_sheets(report, _japanese(request)))
    else:
        body = monthly_csv(report, _japanese(request))
    name = f"実績報告書_{report.month:%Y-%m}.{kind}"
    return Response(body, headers=exports.attachment(name, kind))


def _japanese(request: SignedInRequest) -> Callable[[str], str]:
    """The city's files are in Japanese whatever the page's language."""
    gettext: Callable[[str], str] = request.app.state.catalogs["ja"].gettext
    return gettext


ROUTES = [monthly, monthly_file]
