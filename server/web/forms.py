"""Online forms build the same ops a synced batch carries and apply them here."""

from __future__ import annotations

from typing import Any

from litestar import Request

from server.auth.schemas import Identity
from server.common.errors import OpRejected
from server.settings import Settings
from server.sync import ops, service
from server.sync.context import Actor, Applied
from server.web.pages import translate


def actor_of(request: Request[Any, Identity, Any]) -> Actor:
    """The signed-in person as an op's actor."""
    return Actor(staff_id=request.user.staff_id, role=request.user.role)


async def submit(
    request: Request[Any, Identity, Any], op: ops.Op
) -> tuple[Applied | None, dict[str, str]]:
    """Apply ``op`` for the signed-in person.

    Returns:
        ``(applied, {})`` on success, or ``(None, errors)`` where ``errors`` maps the field
        at fault (``"_"`` when none) to a message in the request's language.
    """
    settings: Settings = request.app.state.settings
    try:
        return await service.apply_op(op, actor_of(request), settings.field), {}
    except OpRejected as error:
        return None, {error.field or "_": explain(request, error)}


def explain(request: Request[Any, Any, Any], error: OpRejected) -> str:
    """A refusal's message in the request's language, with its values filled in."""
    text = translate(request, error.message)
    return text % error.params if error.params else text
