"""Health check and the language toggle."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect

from server import db
from server.auth.policy import Permission, safe_next
from server.settings import LANGUAGES
from server.web.dependencies import AppSettings
from server.web.form_fields import Form, FormChoice
from server.web.i18n import LANG_COOKIE
from server.web.pages import wants_fragment

HEALTH_TIMEOUT_S = 3.0
PUBLIC = {"permission": Permission.PUBLIC}
ONE_YEAR_S = 365 * 24 * 3600
# Printable ASCII; an address off this site is replaced by "/" below.
NEXT_PATTERN = "^[!-~]{0,2000}$"

logger = logging.getLogger("madoguchi.health")


class Health(msgspec.Struct, frozen=True):
    """Answer of ``GET /health``."""

    status: str
    database: str
    engine: str


@get("/health", cache_control=CacheControlHeader(no_store=True), opt=PUBLIC)
async def health(request: Request[Any, Any, Any], settings: AppSettings) -> Response[Health]:
    """Checks the database with a trivial query: 200 when it answers, 503 when it does not."""
    try:
        await asyncio.wait_for(db.ping(request.app.state.engine), HEALTH_TIMEOUT_S)
    except Exception as error:  # any driver failure means "unreachable" to a load balancer
        logger.warning("database unreachable", extra={"fields": {"error": type(error).__name__}})
        return Response(Health("error", "unreachable", settings.database.engine), status_code=503)
    return Response(Health("ok", "ok", settings.database.engine))


class LanguageForm(msgspec.Struct):
    """The toggle's form."""

    lang: FormChoice
    # The page's own path: where to go back to, never stored or logged.
    next: Annotated[str, msgspec.Meta(pattern=NEXT_PATTERN)] = "/"


@post("/lang", status_code=303, opt=PUBLIC)
async def set_language(
    data: Annotated[LanguageForm, Form],
) -> Redirect:
    """Remembers the chosen language in a cookie and goes back to the page."""
    local = data.next.startswith("/") and not data.next.startswith(("//", "/\\"))
    target = data.next if local else "/"
    response = Redirect(path=target, status_code=303)
    if data.lang in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, data.lang, max_age=ONE_YEAR_S, samesite="lax", httponly=True
        )
    return response


def sign_in_first(request: Request[Any, Any, Any], error: NotAuthorizedException) -> Response[Any]:
    """Not signed in: pages send people to the sign-in page, APIs answer 401 in JSON."""
    wants_page = request.method == "GET" and "text/html" in request.headers.get("accept", "")
    if wants_page and not wants_fragment(request):
        # Back to this page once signed in.
        asked = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        back = safe_next(asked)
        target = f"/login?{urlencode({'next': back})}" if back else "/login"
        return Redirect(path=target, status_code=303)
    return Response({"error": "not_signed_in", "message": error.detail}, status_code=401)
