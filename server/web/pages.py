"""Rendering pages in the visitor's language."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from server.settings import LANGUAGES, Settings
from server.web.i18n import LANG_COOKIE, choose_language


def request_language(request: Request[Any, Any, Any]) -> str:
    """The language this request's page should be in.

    Args:
        request: The request.

    Returns:
        A language code.
    """
    settings: Settings = request.app.state.settings
    return choose_language(
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
        settings.default_language,
    )


def translate(request: Request[Any, Any, Any], message: str) -> str:
    """``message`` (an English message id) in the request's language."""
    translated: str = request.app.state.catalogs[request_language(request)].gettext(message)
    return translated


def page(
    request: Request[Any, Any, Any],
    template_name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    """Render ``template_name`` with the translation functions for the request's language.

    Templates call ``_`` with the English message id; ``lang`` and ``other_lang`` drive the toggle.

    Args:
        request: The request.
        template_name: Path under ``templates/``.
        context: Template variables.
        status_code: HTTP status.

    Returns:
        The template response, varying on what chose its language.
    """
    language = request_language(request)
    translations = request.app.state.catalogs[language]
    full = {
        "_": translations.gettext,
        "ngettext": translations.ngettext,
        "lang": language,
        "other_lang": next(code for code in LANGUAGES if code != language),
        "current_path": request.url.path,
        "csrf_token": request.scope.get("csrf_token", ""),
        "me": request.scope.get("user"),
        **(context or {}),
    }
    return Template(
        template_name=template_name,
        context=full,
        status_code=status_code,
        headers={"Vary": "Accept-Language, Cookie"},
    )
