"""The planning week page: every site's sessions from Monday to Sunday, closed days shaded
and clashes marked, for the managers who plan them (:mod:`server.work_sessions.week`)."""

from __future__ import annotations

import datetime as dt

from litestar import get
from litestar.params import FromQuery
from litestar.response import Template

from server.auth.policy import Permission
from server.common.parsing import hhmm, parse_date, today_jst
from server.web.pages import SignedInRequest, page
from server.work_sessions import week

PLAN = {"permission": Permission.PLAN_WORK}
FIRST_WEEK = dt.date(2000, 1, 3)
LAST_WEEK = dt.date(2099, 12, 28)


def _chosen(text: str | None) -> dt.date:
    """The day a ``week`` query names (within the years the app keeps), else today (JST)."""
    try:
        day = parse_date(text) if text else today_jst()
    except ValueError:
        day = today_jst()
    return min(max(day, FIRST_WEEK), LAST_WEEK)


@get("/work-sessions/week", opt=PLAN)
async def week_page(request: SignedInRequest, week_of: FromQuery[str | None] = None) -> Template:
    """The week holding ``week_of`` (``YYYY-MM-DD``; this week by default), with links to
    the weeks before and after."""
    shown = await week.build(_chosen(week_of))
    step = dt.timedelta(days=7)
    context = {
        "week": shown,
        "today": today_jst(),
        "previous": (shown.monday - step).isoformat(),
        "next": (shown.monday + step).isoformat(),
        "this_week": week.monday_of(today_jst()).isoformat(),
        "hhmm": hhmm,
    }
    return page(request, "work_sessions/week.html", context)


ROUTES = [week_page]
