"""A site's opening calendar page: its weekly hours and the dates that differ, kept by
managers through the ops ``site.set_hours``, ``site.set_day`` and ``site.clear_day``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import get, post
from litestar.params import FromQuery, PathParameter
from litestar.response import Redirect, Template

from server.auth.policy import Permission
from server.common.parsing import parse_clock, today_jst
from server.common.text import FreeText
from server.messages import N_
from server.ops.envelope import OpBase
from server.sites import calendar, ops, service
from server.web.form_fields import Form, FormChoice, FormDate, FormTime
from server.web.forms import PathId, on_form, read_form, submit
from server.web.pages import SignedInRequest, found, page, translate

READ = {"permission": Permission.READ_ALL}
MANAGE = {"permission": Permission.MANAGE_SITES}
KEYS = calendar.WEEK_KEYS
TIME_MESSAGE = N_("Enter a time as HH:MM.")
NOTICES = {
    "hours": N_("The weekly hours were saved."),
    "day": N_("The day was saved on the calendar."),
    "cleared": N_("The day follows the week again."),
}
DAY_MESSAGES = {
    "day": N_("Enter a date."),
    "status": N_("Choose open or closed."),
    "opens": TIME_MESSAGE,
    "closes": TIME_MESSAGE,
}


class HoursForm(msgspec.Struct):
    """The weekly hours form: opening and closing times for Monday (0) to Sunday (6) and
    public holidays (7); both empty for a closed day."""

    opens_0: FormTime = ""
    closes_0: FormTime = ""
    opens_1: FormTime = ""
    closes_1: FormTime = ""
    opens_2: FormTime = ""
    closes_2: FormTime = ""
    opens_3: FormTime = ""
    closes_3: FormTime = ""
    opens_4: FormTime = ""
    closes_4: FormTime = ""
    opens_5: FormTime = ""
    closes_5: FormTime = ""
    opens_6: FormTime = ""
    closes_6: FormTime = ""
    opens_7: FormTime = ""
    closes_7: FormTime = ""


class DayForm(msgspec.Struct):
    """The form for one date that differs from the week."""

    day: FormDate = ""
    status: FormChoice = "closed"
    opens: FormTime = ""
    closes: FormTime = ""
    note: FreeText = ""


def _hours_form(week: dict[int, calendar.Hours | None]) -> HoursForm:
    values: dict[str, Any] = {}
    for key in KEYS:
        hours = week.get(key)
        values[f"opens_{key}"] = f"{hours.opens:%H:%M}" if hours else ""
        values[f"closes_{key}"] = f"{hours.closes:%H:%M}" if hours else ""
    return HoursForm(**values)


def _read_hours(
    request: SignedInRequest, form: HoursForm
) -> tuple[list[ops.WeekdayHours], dict[str, str]]:
    """The form's days (a blank time is None), and the fields that did not parse."""
    sent = msgspec.structs.asdict(form)
    days, errors = [], {}
    for key in KEYS:
        times: list[dt.time | None] = []
        for name in (f"opens_{key}", f"closes_{key}"):
            text = sent[name].strip()
            try:
                times.append(parse_clock(text) if text else None)
            except ValueError:
                errors[name] = translate(request, TIME_MESSAGE)
        if len(times) == 2:
            days.append(ops.WeekdayHours(weekday=key, opens=times[0], closes=times[1]))
    return days, errors


async def _calendar_page(
    request: SignedInRequest,
    site_id: int,
    *,
    hours_form: HoursForm | None = None,
    day_form: DayForm | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Template:
    site = found(request, await service.get_site(site_id), N_("No such site."))
    today = today_jst()
    rules = await service.rules_of(site, today, today)
    shown = [*HoursForm.__struct_fields__, *DayForm.__struct_fields__]
    context = {
        "site": site,
        "rules": rules,
        "keys": KEYS,
        "hours_form": hours_form or _hours_form(rules.weekly if rules else {}),
        "day_form": day_form or DayForm(day=today.isoformat()),
        "exceptions": await service.exceptions_of(site, today),
        "errors": on_form(errors or {}, shown),
        "notice": notice,
    }
    return page(request, "sites/calendar.html", context, status_code=status_code)


@get("/sites/{site_id:int}/calendar", opt=READ)
async def calendar_page(
    request: SignedInRequest, site_id: PathId, done: FromQuery[str | None] = None
) -> Template:
    """A fixed site's weekly hours and the dates that differ, from today on."""
    return await _calendar_page(request, site_id, notice=NOTICES.get(done or "", ""))


async def _save(
    request: SignedInRequest,
    site_id: int,
    op: OpBase | None,
    done: str,
    errors: dict[str, str],
    *,
    hours_form: HoursForm | None = None,
    day_form: DayForm | None = None,
) -> Template | Redirect:
    """Apply ``op`` (None: its form did not read), then back to the calendar saying
    ``done``; a refusal shows the page again with the form as it was sent."""
    if op is not None:
        applied, errors = await submit(request, op)
        if applied is not None:
            return Redirect(f"/sites/{site_id}/calendar?done={done}", status_code=303)
    return await _calendar_page(
        request, site_id, hours_form=hours_form, day_form=day_form, errors=errors, status_code=422
    )


@post("/sites/{site_id:int}/calendar/hours", opt=MANAGE)
async def set_hours(
    request: SignedInRequest, site_id: PathId, data: Annotated[HoursForm, Form]
) -> Template | Redirect:
    """Saves the weekly hours (op ``site.set_hours``)."""
    days, errors = _read_hours(request, data)
    op = None if errors else ops.SiteSetHours(payload=ops.SetHours(site_id=site_id, days=days))
    return await _save(request, site_id, op, "hours", errors, hours_form=data)


@post("/sites/{site_id:int}/calendar/days", opt=MANAGE)
async def set_day(
    request: SignedInRequest, site_id: PathId, data: Annotated[DayForm, Form]
) -> Template | Redirect:
    """Opens or closes the site on one date (op ``site.set_day``)."""
    payload, errors = read_form(request, data, ops.SetDay, DAY_MESSAGES, site_id=site_id)
    op = None if payload is None else ops.SiteSetDay(payload=payload)
    return await _save(request, site_id, op, "day", errors, day_form=data)


@post("/sites/{site_id:int}/calendar/days/{day:date}/clear", opt=MANAGE)
async def clear_day(
    request: SignedInRequest,
    site_id: PathId,
    day: Annotated[dt.date, PathParameter()],
) -> Template | Redirect:
    """Removes a date's exception: the day follows the week again (op ``site.clear_day``)."""
    op = ops.SiteClearDay(payload=ops.ClearDay(site_id=site_id, day=day))
    return await _save(request, site_id, op, "cleared", {})


ROUTES = [calendar_page, set_hours, set_day, clear_day]
