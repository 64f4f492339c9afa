"""Device day reports and the reconciliation page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, get, post
from litestar.params import FromQuery, JSONBody
from litestar.response import Template

from server.auth.policy import Permission
from server.auth.schemas import Identity
from server.reconciliation import service
from server.reconciliation.schemas import ReportIn
from server.web.pages import page


@post("/api/sync/report", opt={"permission": Permission.FIELD_WRITE}, status_code=200)
async def report(data: JSONBody[ReportIn]) -> dict[str, int]:
    """A device reports, per day, how many ops it made and a digest of their ids."""
    return {"stored": await service.save_reports(data.device_id, data.reports)}


@get("/reconciliation", opt={"permission": Permission.READ_ALL})
async def reconciliation_page(
    request: Request[Any, Identity, Any],
    day: FromQuery[dt.date | None] = None,
) -> Template:
    """Per device: what it says it made that day, and what the server received."""
    day = day or dt.datetime.now(service.JST).date()
    return page(
        request,
        "reconciliation/index.html",
        {"day": day, "rows": await service.compare_day(day)},
    )


ROUTES = [report, reconciliation_page]
