"""``POST /api/sync/push`` answered in front of Litestar when the push passes every check.

Tablets push hundreds of batches a minute, and most of them pass every check. For each
push Litestar runs its router, three middlewares, the guard (on a copy of the route
handler), the signature model and its response objects. That cost about 0.3 ms of CPU
on a two-core machine, a tenth of a 100-op push. This app answers a push that passes
every check Litestar would make:

- signed in, with a role the route's permission allows;
- the same origin and CSRF token as :func:`server.auth.web.passes_csrf`;
- a JSON body within the route's size limit, gzip inflated;
- a batch that decodes, and that the push service applies.

It uses the same service call and the same answer. Anything else goes to Litestar
unchanged, body included: a refusal, an odd body, a :class:`SyncError` (raised before
anything is written) or an unexpected error. So every refusal, error page and error log
line is Litestar's own, written once, in :mod:`server.sync.routes`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from litestar import Request
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send
from litestar.types.asgi_types import HTTPRequestEvent

from server.auth import service as auth_service
from server.auth.policy import Permission, allows
from server.auth.schemas import Identity
from server.auth.web import SESSION_COOKIE, passes_csrf
from server.settings import Settings
from server.sync import push as push_service
from server.sync import routes
from server.sync.compression import MAX_INFLATED, inflate
from server.sync.context import Actor
from server.sync.intake import read_batch
from server.web.forms import explain
from server.web.json_answer import encode_answer

PATH = "/api/sync/push"


def push_fast_path(app: ASGIApp, settings: Settings) -> ASGIApp:
    """Wrap ``app`` (Litestar) so a push that passes every check is answered here.

    Args:
        app: The app every other request goes to.
        settings: The app's settings.

    Returns:
        The wrapping ASGI app.
    """
    permission: Permission = routes.push.opt["permission"]

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        request: Request[Any, Any, Any] = Request(scope)
        read = await _allowed_body(request, receive, permission, settings)
        if read is None:
            await app(scope, receive, send)
        elif read.more or not await _answered(request, read.body, settings, send):
            await app(scope, _replay(read, receive), send)

    return in_front(app, PATH, "POST", serve)


def in_front(app: ASGIApp, path: str, method: str, serve: ASGIApp) -> ASGIApp:
    """An app that gives ``method`` requests to ``path`` to ``serve``, the rest to ``app``
    (``serve`` hands to ``app`` whatever it does not answer itself)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["path"] == path and scope["method"] == method:
            await serve(scope, receive, send)
        else:
            await app(scope, receive, send)

    return middleware


class _Read(NamedTuple):
    """The body read so far, and whether more of it is still to come (it was too large)."""

    body: bytes
    more: bool


async def _allowed_body(
    request: Request[Any, Any, Any], receive: Receive, permission: Permission, settings: Settings
) -> _Read | None:
    """The raw body once the sender's checks pass, else None (the body is left unread).

    Reading stops past the route's limit: Litestar refuses such a body as it reads on.
    """
    if not request.headers.get("content-type", "").startswith("application/json"):
        return None
    if not passes_csrf(request, settings) or await signed_in(request, permission, settings) is None:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return _Read(b"".join(chunks), more=False)
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body"):
            return _Read(b"".join(chunks), more=False)
        if size > routes.PUSH_LIMIT:
            return _Read(b"".join(chunks), more=True)


async def _answered(
    request: Request[Any, Any, Any], raw: bytes, settings: Settings, send: Send
) -> bool:
    """Apply and answer the push in ``raw``; False, with nothing sent or written, when
    Litestar should answer instead."""
    encoding = request.headers.get("content-encoding", "").lower()
    try:
        body = inflate(raw, MAX_INFLATED) if encoding == "gzip" else raw
        if encoding not in ("", "gzip") or len(body) > routes.PUSH_LIMIT:
            return False
        batch = read_batch(body)
    except Exception:  # Litestar answers whatever this cannot read
        return False
    identity = request.scope["user"]
    try:
        result = await push_service.push(
            batch,
            Actor(staff_id=identity.staff_id, role=identity.role),
            settings.field,
            explain=lambda error: explain(request, error),
        )
    except Exception:  # the transaction rolled back; Litestar answers
        return False
    await send_answer(request, result, PATH, send)
    return True


async def signed_in(
    request: Request[Any, Any, Any], permission: Permission, settings: Settings
) -> Identity | None:
    """Who is signed in, if their role has ``permission`` (set as the request's user, as
    Litestar's session middleware does); else None."""
    identity = await auth_service.resolve_login_session(
        request.cookies.get(SESSION_COOKIE), settings.auth
    )
    if identity is None or not allows(permission, identity.role):
        return None
    request.scope["user"] = identity
    return identity


async def send_answer(request: Request[Any, Any, Any], value: Any, path: str, send: Send) -> None:
    """Send ``value`` as the route at ``path`` answers it (:func:`encode_answer`)."""
    answer, headers = encode_answer(value, request.headers.get("accept-encoding", ""))
    request.scope["path_template"] = path
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                *((name.encode(), text.encode()) for name, text in headers.items()),
                (b"content-length", str(len(answer)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": answer, "more_body": False})


def _replay(read: _Read, receive: Receive) -> Receive:
    """``receive`` for Litestar: what was read first, then the connection's own."""
    pending = [read]

    async def replay() -> ReceiveMessage:
        if pending:
            first = pending.pop()
            return HTTPRequestEvent(type="http.request", body=first.body, more_body=first.more)
        return await receive()

    return replay
