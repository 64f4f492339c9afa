"""Device day reports and the reconciliation page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import get, post
from litestar.params import FromQuery, JSONBody
from litestar.response import Redirect, Template

from server.auth.policy import Permission
from server.common.errors import OpRejected
from server.common.text import FreeText
from server.messages import N_
from server.reconciliation import review, service
from server.reconciliation.schemas import ReportIn
from server.settings import Settings
from server.web.dependencies import AppSettings
from server.web.form_fields import Form
from server.web.forms import PathId, actor_of, explain
from server.web.pages import SignedInRequest, page

REVIEW = {"permission": Permission.REVIEW_SYNC}
NOTICES: dict[str, str] = {
    "accepted": N_("The change was applied as your decision."),
    "dismissed": N_("The change was dismissed. Nothing was applied."),
}
# Refusals about the row itself; any other is the op's own rule, refusing it again.
STATUS_OF = {"issue_unknown": 404, "issue_settled": 409}


@post("/api/sync/report", opt={"permission": Permission.FIELD_WRITE}, status_code=200)
async def report(
    request: SignedInRequest, data: JSONBody[ReportIn], settings: AppSettings
) -> dict[str, int]:
    """A device reports, per day, how many ops it made and a digest of their ids."""
    stored = await service.save_reports(
        data.device_id, data.reports, actor=actor_of(request), field=settings.field
    )
    return {"stored": stored}


@get("/reconciliation", opt={"permission": Permission.READ_ALL})
async def reconciliation_page(
    request: SignedInRequest,
    day: FromQuery[dt.date | None] = None,
) -> Template:
    """Per device: what it says it made that day, and what the server received."""
    day = day or dt.datetime.now(service.JST).date()
    return page(
        request,
        "reconciliation/index.html",
        {"day": day, "rows": await service.compare_day(day)},
    )


class DismissForm(msgspec.Struct):
    """The dismiss form: why the change is not applied."""

    reason: FreeText = ""


async def _review_page(
    request: SignedInRequest,
    settings: Settings,
    *,
    notice: str = "",
    failed: int | None = None,
    error: OpRejected | None = None,
    reason: str = "",
    status: int = 200,
) -> Template:
    items, total = await review.list_open(settings.field)
    message = explain(request, error) if error else ""
    shown = failed is not None and any(item.id == failed for item in items)
    context = {
        "items": items,
        "total": total,
        "notice": notice,
        # The refusal goes on its card when the card is listed, else above the list.
        "failed": failed if shown else None,
        "error": message,
        "error_field": error.field if error else None,
        "reason": reason,
    }
    return page(request, "reconciliation/review.html", context, status_code=status)


@get("/review", opt=REVIEW)
async def review_page(
    request: SignedInRequest, settings: AppSettings, done: FromQuery[str | None] = None
) -> Template:
    """Refused and conflicting synced changes waiting for a supervisor, oldest first."""
    return await _review_page(request, settings, notice=NOTICES.get(done or "", ""))


@post("/review/{issue_id:int}/accept", opt=REVIEW)
async def accept(
    request: SignedInRequest, issue_id: PathId, settings: AppSettings
) -> Template | Redirect:
    """Applies a kept change as the supervisor's decision; refused again, it stays open."""
    try:
        await review.accept(issue_id, actor_of(request), settings.field)
    except OpRejected as error:
        status = STATUS_OF.get(error.code, 422)
        return await _review_page(request, settings, failed=issue_id, error=error, status=status)
    return Redirect("/review?done=accepted", status_code=303)


@post("/review/{issue_id:int}/dismiss", opt=REVIEW)
async def dismiss(
    request: SignedInRequest,
    issue_id: PathId,
    data: Annotated[DismissForm, Form],
    settings: AppSettings,
) -> Template | Redirect:
    """Settles a kept change without applying it, with the supervisor's reason."""
    try:
        await review.dismiss(issue_id, actor_of(request), data.reason)
    except OpRejected as error:
        status = STATUS_OF.get(error.code, 422)
        return await _review_page(
            request, settings, failed=issue_id, error=error, reason=data.reason, status=status
        )
    return Redirect("/review?done=dismissed", status_code=303)


ROUTES = [report, reconciliation_page, review_page, accept, dismiss]
