"""The dashboard page; while it is open, htmx asks for its figures again every 30 s."""

from __future__ import annotations

import datetime as dt

from litestar import get
from litestar.response import Template

from server.auth.policy import Permission
from server.common.parsing import hhmm
from server.dashboard import service
from server.incidents.schemas import CATEGORY_LABELS, SEVERITY_LABELS
from server.web.dependencies import AppSettings
from server.web.pages import SignedInRequest, page, wants_fragment

FIGURES = "dashboard-figures"
REFRESH_SECONDS = 30


@get("/dashboard", opt={"permission": Permission.REVIEW_SYNC})
async def dashboard(request: SignedInRequest, settings: AppSettings) -> Template:
    """Today's counts per site and the open problems; htmx's refresh gets the figures alone.

    Managers only (REVIEW_SYNC): the problems are theirs to settle, the review queue is
    theirs to read, and operators see the sites they work at, not every site's counts.
    City staff follow the day through the journal, not this working view.
    """
    board = await service.today(now=dt.datetime.now(dt.UTC), field=settings.field)
    context = {
        "board": board,
        "hhmm": hhmm,
        "refresh_seconds": REFRESH_SECONDS,
        "incident_labels": CATEGORY_LABELS,
        "severity_labels": SEVERITY_LABELS,
    }
    if wants_fragment(request, FIGURES):
        return page(request, "dashboard/_figures.html", context)
    return page(request, "dashboard/index.html", context)


ROUTES = [dashboard]
