"""Refusing malformed requests: a JSON error for scripts, a page in the visitor's language.

Litestar answers a body it cannot read or a value that breaks a declared type with a 400;
these answers name the fields at fault and say so in Japanese or English. A body that is
not UTF-8 or is nested past what the decoder's recursion allows is one of those too.
:func:`error_page` is the one error page (or htmx fragment) every error handler renders.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response
from litestar.exceptions import ClientException, HTTPException
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from server.auth.policy import safe_next
from server.auth.web import CSRF_COOKIE, SESSION_COOKIE
from server.common.errors import OpRejected
from server.common.labels import FIELD_LABELS
from server.common.text import CONTROL_MESSAGE
from server.messages import N_
from server.web.forms import INVALID_MESSAGE, explain
from server.web.pages import page, translate, wants_fragment

BAD_BODY = N_("The request could not be read.")
BAD_FORM = N_("Some of what was sent could not be accepted: check the fields named and try again.")
REFUSED_TITLE = N_("The request was refused")
RETRY_HINT = N_("Go back to the previous page, reload it and try again.")
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")  # a CSRF token as the middleware hands them out
# Paths whose callers are scripts (the sync API, the passkey ceremony, the schema).
JSON_PREFIXES = ("/api/", "/auth/", "/schema")


class AppRequest(HTMXRequest):
    """Litestar's request with its htmx details (``request.htmx``, from Litestar's htmx
    plugin), refusing a JSON body it cannot decode as a client error.

    msgspec raises ``UnicodeDecodeError`` for bytes that are not UTF-8 and
    ``RecursionError`` for nesting past its limit, neither of which Litestar's own decoder
    turns into a 400 (it maps only ``msgspec.DecodeError``).
    """

    async def json(self) -> Any:
        """The decoded JSON body.

        Raises:
            ClientException: The body is not UTF-8 or nests too deeply.
        """
        try:
            return await super().json()
        except (UnicodeDecodeError, RecursionError) as error:
            raise ClientException(BAD_BODY) from error


def wants_json(request: Request[Any, Any, Any]) -> bool:
    """Whether the caller is a script rather than a browser showing a page."""
    if request.url.path.startswith(JSON_PREFIXES):
        return True
    accept = request.headers.get("accept", "")
    sent_json = "json" in request.headers.get("content-type", "")
    return sent_json or ("application/json" in accept and "text/html" not in accept)


def _says_control(message: str) -> bool:
    """Whether a validation message is about :data:`NO_CONTROL` alone (its ranges quoted,
    any length): a shape that also bounds the length may have failed on that instead."""
    return "x00-" in message and "x1f" in message and "]*$'" in message


def fields_at_fault(error: HTTPException) -> dict[str, str]:
    """Each field Litestar's validation error names, with the English message id for it."""
    extra = error.extra if isinstance(error.extra, list) else []
    fields: dict[str, str] = {}
    for item in extra:
        if isinstance(item, dict) and item.get("key"):
            text = str(item.get("message", ""))
            fields[str(item["key"])] = CONTROL_MESSAGE if _says_control(text) else INVALID_MESSAGE
    return fields


def _back(request: Request[Any, Any, Any]) -> str:
    """The page this request came from on this site (path and query), or "" for none."""
    try:
        referer = urlsplit(request.headers.get("referer", ""))
    except ValueError:  # a malformed address (an unclosed IPv6 bracket) is no way back
        return ""
    same_site = referer.netloc and referer.netloc == request.headers.get("host")
    if not same_site or referer.path == request.url.path:
        return ""
    # A path of ours only, as sign-in's return is checked ("//host" would leave the site).
    return safe_next(referer.path + (f"?{referer.query}" if referer.query else "")) or ""


def error_page(
    request: Request[Any, Any, Any],
    message: str,
    status_code: int,
    *,
    title: str = REFUSED_TITLE,
    hint: str = RETRY_HINT,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Template:
    """The error page (``error.html``) saying ``message``, with ways back; only its panel
    when htmx asked for a fragment. ``title`` and ``hint`` are message ids."""
    # A path no route matches never met the session middleware: its cookie says enough.
    signed_in = request.scope.get("user") is not None or SESSION_COOKIE in request.cookies
    context = {
        "fragment": wants_fragment(request),
        "title": translate(request, title),
        "message": message,
        "hint": translate(request, hint) if hint else "",
        "fields": fields or {},
        "field_labels": FIELD_LABELS,
        "back": _back(request),
        "signed_in": signed_in,
    }
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if "csrf_token" not in request.scope and TOKEN.fullmatch(cookie):
        context["csrf_token"] = cookie  # no route, no CSRF middleware: the toggle still works
    answer = page(request, "error.html", context, status_code=status_code)
    answer.headers.update(headers or {})
    return answer


def client_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any] | Template:
    """A 400 (unreadable body, a value of the wrong type or out of range), named and localized.

    Scripts get ``{"error", "message", "fields": {name: message}}``; browsers get the error
    page with the same messages, each beside the name of its field.
    """
    fields = {name: translate(request, text) for name, text in fields_at_fault(error).items()}
    message = translate(request, BAD_FORM if fields else BAD_BODY)
    if wants_json(request):
        body = {"error": "bad_request", "message": message, "fields": fields}
        return Response(body, status_code=error.status_code)
    return error_page(request, message, error.status_code, fields=fields)


def refused(request: Request[Any, Any, Any], error: OpRejected) -> Response[Any] | Template:
    """A rule's refusal no route turned into its own answer: a 422 naming the field."""
    message = explain(request, error)
    if wants_json(request):
        body = {"error": error.code, "message": message, "fields": {error.field or "_": message}}
        return Response(body, status_code=422)
    fields = {error.field: message} if error.field else {}
    return error_page(request, message, 422, fields=fields)


__all__ = ["AppRequest", "client_error", "error_page", "fields_at_fault", "refused", "wants_json"]
