"""Web plumbing for sign-in: the session and CSRF middleware and the permission guard.

Routes declare ``opt={"permission": Permission.X}``; :func:`authorize` is the app-wide
guard that enforces it.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.auth import service
from server.auth.policy import Permission, allows
from server.auth.schemas import Identity
from server.messages import N_
from server.settings import Settings

SESSION_COOKIE = "madoguchi_session"
CSRF_COOKIE = "madoguchi_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_FILES = ("/static/", "/sw.js")
CSRF_MAX_AGE = 400 * 24 * 3600
# Refusals (403): message ids, shown translated by server.web.http_errors.
CROSS_SITE = N_("Cross-site request refused.")
STALE_TOKEN = N_("Security token missing or stale: reload the page.")
UNDECLARED = N_("This route declares no permission.")
ROLE_REFUSED = N_("Your role does not allow this.")


def _settings(scope: Scope) -> Settings:
    settings: Settings = Litestar.from_scope(scope).state.settings
    return settings


def session_middleware(app: ASGIApp) -> ASGIApp:
    """Put the signed-in :class:`Identity` (or None) in ``scope["user"]``."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["path"].startswith(PUBLIC_FILES):
            scope["user"] = None  # static files: no database round trip for a session
            scope["auth"] = None
        elif scope["type"] == ScopeType.HTTP:
            request: Request[Any, Any, Any] = Request(scope)
            scope["user"] = await service.resolve_login_session(
                request.cookies.get(SESSION_COOKIE), _settings(scope).auth
            )
            scope["auth"] = None
        await app(scope, receive, send)

    return middleware


def session_cookie(value: str, settings: Settings) -> Cookie:
    """The login session cookie (empty ``value`` deletes it)."""
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        max_age=settings.auth.absolute_hours * 3600 if value else 0,
        httponly=True,
        samesite="lax",
        secure=settings.auth.secure_cookies,
        path="/",
    )


def _same_origin(request: Request[Any, Any, Any], settings: Settings) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser, or an old one: the token must still match
    own_host = request.headers.get("host", "")
    return origin in settings.auth.origins or origin.split("://", 1)[-1] == own_host


def _token_matches(sent: object, cookie: str | None) -> bool:
    return bool(cookie) and isinstance(sent, str) and hmac.compare_digest(sent, str(cookie))


def csrf_middleware(app: ASGIApp) -> ASGIApp:
    """Refuse unsafe requests from other sites.

    An unsafe request must come from our own origin (``Origin`` and ``Sec-Fetch-Site``) and
    carry the token of the ``madoguchi_csrf`` cookie in the ``X-CSRF-Token`` header (htmx
    and our scripts) or the ``csrf_token`` form field (plain forms). Safe requests get the
    cookie when they lack it, and templates read the token from ``scope["csrf_token"]``.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        request: Request[Any, Any, Any] = Request(scope, receive)
        settings = _settings(scope)
        cookie = request.cookies.get(CSRF_COOKIE)
        if request.method in SAFE_METHODS:
            token = cookie if cookie and 20 <= len(cookie) <= 100 else secrets.token_urlsafe(32)
            scope["csrf_token"] = token  # type: ignore[typeddict-unknown-key]
            if token == cookie:
                await app(scope, receive, send)
                return
            header = Cookie(
                key=CSRF_COOKIE,
                value=token,
                # Long-lived: an offline tablet's worker keeps using the token it was given.
                max_age=CSRF_MAX_AGE,
                httponly=True,
                samesite="strict",
                secure=settings.auth.secure_cookies,
                path="/",
            ).to_encoded_header()

            async def send_with_cookie(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), header]
                await send(message)

            await app(scope, receive, send_with_cookie)
            return
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.content_type[0] in (
            RequestEncodingType.URL_ENCODED,
            RequestEncodingType.MULTI_PART,
        ):
            sent = (await request.form()).get(CSRF_FIELD)
        if not _same_origin(request, settings):
            raise PermissionDeniedException(CROSS_SITE)
        if not _token_matches(sent, cookie):
            raise PermissionDeniedException(STALE_TOKEN)
        scope["csrf_token"] = cookie  # type: ignore[typeddict-unknown-key]
        await app(scope, receive, send)

    return middleware


async def authorize(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """App-wide guard: the route's declared permission against the person's role.

    A coroutine function on purpose: Litestar runs a plain function guard in its thread
    pool, a hop to another thread and back on every request.

    Raises:
        PermissionDeniedException: The route declares nothing, or the role lacks it.
        NotAuthorizedException: Not signed in and the route needs someone who is.
    """
    permission = handler.opt.get("permission")
    if not isinstance(permission, Permission):
        raise PermissionDeniedException(UNDECLARED)
    identity: Identity | None = connection.scope.get("user")
    if allows(permission, identity.role if identity else None):
        return
    if identity is None:
        raise NotAuthorizedException("Please sign in.")
    raise PermissionDeniedException(ROLE_REFUSED)
