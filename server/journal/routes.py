"""The daily journal page: a site and a day chosen, the journal compiled from the records."""

from __future__ import annotations

import datetime as dt

from litestar import get
from litestar.params import FromQuery
from litestar.response import Template

from server.auth.policy import ROLE_LABELS, Permission
from server.common.era import wareki
from server.common.parsing import hhmm, parse_date, parse_id, today_jst
from server.incidents.schemas import CATEGORY_LABELS, SEVERITY_LABELS
from server.journal import service
from server.messages import N_
from server.sites import service as sites
from server.web.dependencies import AppSettings
from server.web.pages import SignedInRequest, found, page, translate

READ = {"permission": Permission.READ_ALL}
BAD_DAY = N_("Enter a date as YYYY-MM-DD.")
FUTURE_DAY = N_("A journal can only be shown for today or an earlier day.")


@get("/journal", opt=READ)
async def journal(
    request: SignedInRequest,
    settings: AppSettings,
    site_id: FromQuery[str | None] = None,
    day: FromQuery[str | None] = None,
) -> Template:
    """A site's daily journal (業務日誌) for one day, today's at the first site by default."""
    choices = await sites.list_sites(include_retired=True)
    today = today_jst()
    errors: dict[str, str] = {}
    try:
        chosen_site = parse_id(site_id) if site_id else choices[0].id
    except ValueError:
        chosen_site = None
    found(request, next((s for s in choices if s.id == chosen_site), None), N_("No such site."))
    chosen_day: dt.date | None = today
    if day:
        try:
            chosen_day = parse_date(day)
        except ValueError:
            chosen_day, errors["day"] = None, translate(request, BAD_DAY)
    if chosen_day is not None and chosen_day > today:
        chosen_day, errors["day"] = None, translate(request, FUTURE_DAY)
    compiled = None
    if chosen_day is not None and chosen_site is not None:
        compiled = await service.compile_day(
            chosen_site,
            chosen_day,
            now=dt.datetime.now(dt.UTC),
            slot_minutes=settings.field.slot_minutes,
            report_minutes=settings.field.incident_report_minutes,
        )
    context = {
        "sites": choices,
        "site_id": chosen_site,
        "day": day or today.isoformat(),
        "today": today,
        "journal": compiled,
        "errors": errors,
        "wareki": wareki,
        "hhmm": hhmm,
        "role_labels": ROLE_LABELS,
        "incident_labels": CATEGORY_LABELS,
        "severity_labels": SEVERITY_LABELS,
    }
    return page(request, "journal/day.html", context, status_code=400 if errors else 200)


ROUTES = [journal]
