"""Every other HTTP error as a page in the visitor's language, or as JSON for scripts.

A refusal (403), a page that is not there (404), a method a path does not take (405), any
other HTTP error and a server failure reach a browser as the error page with a way back;
scripts (:func:`server.web.errors.wants_json`) keep Litestar's JSON. A message we raised is
shown translated; Litestar's own words ("Not Found") and a failure's text never are.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.exceptions.responses import ExceptionResponseContent, create_debug_response
from litestar.response import Template

from server.messages import N_
from server.web.errors import REFUSED_TITLE, error_page, wants_json
from server.web.pages import translate

TITLES: dict[int, str] = {
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("This page cannot be used this way"),
    500: N_("Something went wrong"),
}
# What a browser is told when the error carries no message of ours.
MESSAGES: dict[int, str] = {
    403: N_("You are not allowed to open this page or do this."),
    404: N_(
        "There is no page at this address. It may have been mistyped, "
        "or what it showed was removed."
    ),
    405: N_(
        "This address does not take this kind of request. Use the buttons and links on the pages."
    ),
    413: N_("The request is too large."),
    500: N_(
        "The server could not finish this request. Try again in a moment; "
        "if it keeps happening, tell a manager."
    ),
}
GENERIC_MESSAGE = N_("The request could not be completed.")
HINTS: dict[int, str] = {
    403: N_("If you need this, ask a manager."),
}


def _ours(request: Request[Any, Any, Any], detail: str) -> bool:
    """Whether ``detail`` is one of our message ids (the Japanese catalog translates it)."""
    catalog = request.app.state.catalogs["ja"]
    return bool(detail) and catalog.gettext(detail) != detail


def _message(request: Request[Any, Any, Any], status: int, detail: str) -> str:
    """The error's own message when it is ours, else the one for its status; translated."""
    chosen = detail if _ours(request, detail) else MESSAGES.get(status, GENERIC_MESSAGE)
    return translate(request, chosen)


def _phrase(status: int) -> str:
    """The status's standard phrase ("Not Found"), as Litestar's JSON gives it."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # a code outside the standard ones
        return "Error"


def http_error(request: Request[Any, Any, Any], error: Exception) -> Response[Any] | Template:
    """Any error without a handler of its own: a page for browsers, JSON for scripts.

    A failure that is not an HTTP error is a 500 whose text is never shown (Litestar's
    debug page still shows it when the app runs with ``debug``).
    """
    http = error if isinstance(error, HTTPException) else None
    status = http.status_code if http else 500
    kind = 500 if status >= 500 else status  # every server failure reads the same
    if status >= 500 and request.app.debug:
        return create_debug_response(request, error)
    # A server failure's text may quote a row: only a refusal's detail is passed on.
    detail = http.detail if http and status < 500 else ""
    if wants_json(request):
        body = ExceptionResponseContent(
            status_code=status,
            detail=(translate(request, detail) if _ours(request, detail) else detail)
            or _phrase(status),
            headers=http.headers if http else None,
            extra=http.extra if http and status < 500 else None,
            media_type=MediaType.JSON,
        )
        return body.to_response(request)
    return error_page(
        request,
        _message(request, kind, detail),
        status,
        title=TITLES.get(kind, REFUSED_TITLE),
        hint=HINTS.get(kind, ""),
        headers=http.headers if http else None,
    )


__all__ = ["http_error"]
