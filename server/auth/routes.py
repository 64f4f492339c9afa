"""Sign-in pages and the passkey JSON API."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.auth import passkeys, service
from server.auth.policy import ROLE_LABELS, Permission, landing, safe_next
from server.auth.schemas import (
    AuthError,
    LoginVerifyIn,
    RegisterOptionsIn,
    RegisterVerifyIn,
    SignedIn,
)
from server.auth.web import session_cookie
from server.messages import N_
from server.settings import AuthSettings, Settings
from server.web.dependencies import AppSettings
from server.web.pages import SignedInRequest, page, translate

T = TypeVar("T")
PUBLIC = {"permission": Permission.PUBLIC}
MAX_BODY = 64 * 1024
BODY_LIMIT = 1024 * 1024  # beyond this Litestar itself answers 413


def _error(request: Request[Any, Any, Any], error: AuthError) -> Response[dict[str, str]]:
    return Response(
        {"error": error.code, "message": translate(request, error.message)},
        status_code=error.status,
    )


async def _guarded(request: Request[Any, Any, Any], auth: AuthSettings) -> bytes:
    """Rate-limit the client and read a bounded body.

    Raises:
        AuthError: Too many attempts, or a body too large.
    """
    client = request.client.host if request.client else "unknown"
    key = "signin:" + hashlib.sha256(client.encode()).hexdigest()[:32]
    if not await service.hit_rate_limit(
        key, limit=auth.signin_limit, window_seconds=auth.signin_window_seconds
    ):
        raise AuthError(
            "rate_limited", N_("Too many attempts. Wait a few minutes and try again."), 429
        )
    body = await request.body()
    if len(body) > MAX_BODY:
        raise AuthError("too_large", N_("The request is too large."))
    return body


def _decode(body: bytes, kind: type[T]) -> T:
    try:
        return msgspec.json.decode(body, type=kind)
    # msgspec raises UnicodeDecodeError for bytes that are not UTF-8.
    except (
        msgspec.DecodeError,
        msgspec.ValidationError,
        RecursionError,
        UnicodeDecodeError,
    ) as error:
        raise AuthError("bad_payload", N_("The request could not be read.")) from error


async def _sign_in(
    request: Request[Any, Any, Any],
    settings: Settings,
    kind: type[T],
    step: str,
    ceremony: Callable[[T], Awaitable[SignedIn]],
) -> Response[Any]:
    """Read the body as ``kind`` and check the passkey with ``ceremony``; on success set a
    new login session cookie, on failure record it and say why."""
    try:
        body = _decode(await _guarded(request, settings.auth), kind)
        result = await ceremony(body)
    except AuthError as error:
        await passkeys.record_failure(error, step)
        return _error(request, error)
    response: Response[Any] = Response({"redirect": landing(result.role)})
    response.set_cookie(session_cookie(result.session_id, settings))
    return response


@get("/login", opt=PUBLIC)
async def login_page(request: Request[Any, Any, Any]) -> Template | Redirect:
    """The sign-in page: one button, no name to type (conditional UI where supported); once
    signed in, back to the page that asked (``next``)."""
    back = safe_next(request.query_params.get("next"))
    if request.user is not None:
        return Redirect(back or landing(request.user.role))
    return page(request, "auth/login.html", {"next": back})


@post("/auth/login/options", opt=PUBLIC, request_max_body_size=BODY_LIMIT, status_code=200)
async def login_options(request: Request[Any, Any, Any], settings: AppSettings) -> Response[Any]:
    """Options for a discoverable passkey sign-in."""
    try:
        await _guarded(request, settings.auth)
        return Response(await passkeys.login_options(settings.auth))
    except AuthError as error:
        return _error(request, error)


@post("/auth/login/verify", opt=PUBLIC, request_max_body_size=BODY_LIMIT, status_code=200)
async def login_verify(request: Request[Any, Any, Any], settings: AppSettings) -> Response[Any]:
    """Checks a passkey assertion; on success sets a new login session cookie."""

    async def login(body: LoginVerifyIn) -> SignedIn:
        return await passkeys.login(body.credential.as_json(), settings.auth)

    return await _sign_in(request, settings, LoginVerifyIn, "login", login)


@get("/invite/{token:str}", opt=PUBLIC)
async def invite_page(request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
    """The page an invite link opens: whose passkey is being made, or why it cannot be."""
    try:
        invite = await service.check_invite(token)
    except AuthError as error:
        return page(request, "auth/invite.html", {"error": error.message}, status_code=error.status)
    return page(
        request,
        "auth/invite.html",
        {"invite": invite, "token": token, "role_label": ROLE_LABELS[invite.role]},
    )


@post("/auth/register/options", opt=PUBLIC, request_max_body_size=BODY_LIMIT, status_code=200)
async def register_options(request: Request[Any, Any, Any], settings: AppSettings) -> Response[Any]:
    """Options for creating a passkey from an invite."""
    try:
        body = _decode(await _guarded(request, settings.auth), RegisterOptionsIn)
        return Response(await passkeys.registration_options(body.token, settings.auth))
    except AuthError as error:
        return _error(request, error)


@post("/auth/register/verify", opt=PUBLIC, request_max_body_size=BODY_LIMIT, status_code=200)
async def register_verify(request: Request[Any, Any, Any], settings: AppSettings) -> Response[Any]:
    """Checks the new passkey, stores it and signs the person in."""

    async def register(body: RegisterVerifyIn) -> SignedIn:
        return await passkeys.register(body.token, body.credential.as_json(), settings.auth)

    return await _sign_in(request, settings, RegisterVerifyIn, "register", register)


@post("/logout", opt={"permission": Permission.SIGNED_IN}, status_code=303)
async def logout(request: SignedInRequest, settings: AppSettings) -> Redirect:
    """Ends the login session everywhere and returns to the sign-in page."""
    await service.end_login_session(request.user)
    response = Redirect("/login", status_code=303)
    response.set_cookie(session_cookie("", settings))
    return response


ROUTES = [
    login_page,
    login_options,
    login_verify,
    invite_page,
    register_options,
    register_verify,
    logout,
]
