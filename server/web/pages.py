"""Rendering pages in the visitor's language, whole or as the fragment htmx asked for.

One rule for htmx: a request is answered with a fragment when :func:`wants_fragment` says
so, and every page varies on :data:`VARY` (the language's sources and the htmx headers),
so a cache never hands a fragment to a full load or one language to another.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias, TypeVar

from litestar import Request
from litestar.exceptions import NotFoundException
from litestar.plugins.htmx import HTMXDetails, HTMXRequest
from litestar.response import Template

from server.auth.policy import Permission, allows
from server.auth.schemas import Identity
from server.settings import LANGUAGES, Settings
from server.web.i18n import LANG_COOKIE, choose_language

VARY: Final = "Accept-Language, Cookie, HX-Request, HX-History-Restore-Request"
T = TypeVar("T")
SignedInRequest: TypeAlias = Request[Any, Identity, Any]
"""A request from a signed-in person: ``request.user`` is their :class:`Identity`."""


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


def found(request: Request[Any, Any, Any], value: T | None, message: str) -> T:
    """``value``; when there is none, a 404 saying ``message`` (a message id, translated by
    :func:`server.web.http_errors.http_error` when it answers).

    Raises:
        NotFoundException: ``value`` is None.
    """
    if value is None:
        raise NotFoundException(message)
    return value


def wants_fragment(request: Request[Any, Any, Any], target: str | None = None) -> bool:
    """Whether htmx asked for a fragment: not a boosted link or a history restore (those
    want the whole page), and for the element with id ``target`` when one is named."""
    htmx = request.htmx if isinstance(request, HTMXRequest) else HTMXDetails(request)
    return (
        bool(htmx)
        and not htmx.boosted
        and not htmx.history_restore_request
        and (target is None or htmx.target in (None, target))
    )


def page(
    request: Request[Any, Any, Any],
    template_name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    """Render ``template_name`` in the request's language.

    Templates translate English message ids with ``_()`` and ``{% trans %}``
    (:func:`server.web.i18n.install_i18n`); ``lang`` and ``other_lang`` drive the toggle,
    and ``can(Permission.X)`` asks the policy about the signed-in person.

    Args:
        request: The request.
        template_name: Path under ``templates/``.
        context: Template variables.
        status_code: HTTP status.

    Returns:
        The template response, varying on :data:`VARY`.
    """
    return Template(
        template_name=template_name,
        context=_context(request, context),
        status_code=status_code,
        headers={"Vary": VARY},
    )


def _context(request: Request[Any, Any, Any], context: dict[str, Any] | None) -> dict[str, Any]:
    language = request_language(request)
    user = request.scope.get("user")
    role = user.role if user is not None else None
    return {
        "translations": request.app.state.catalogs[language],
        "lang": language,
        "other_lang": next(code for code in LANGUAGES if code != language),
        "current_path": request.url.path,
        "csrf_token": request.scope.get("csrf_token", ""),
        "me": user,
        "can": lambda permission: allows(permission, role),
        "Permission": Permission,
        **(context or {}),
    }


def render(request: Request[Any, Any, Any], template_name: str, context: dict[str, Any]) -> str:
    """``template_name`` rendered as :func:`page` would, as text (a document to convert)."""
    engine = request.app.template_engine
    if engine is None:
        raise RuntimeError("the app has no template engine")
    rendered: str = engine.get_template(template_name).render(**_context(request, context))
    return rendered
