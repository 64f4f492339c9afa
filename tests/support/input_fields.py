"""Every text field the app reads from a request, found by walking its routes' input types.

A route's ``data`` parameter names the msgspec struct Litestar decodes (JSON bodies and
forms alike); bodies a route reads by hand are declared in :data:`HAND_DECODED`, which
``tests/unit/test_input_fields.py`` keeps complete against the routes. The walk goes through
struct fields, unions (every op type and payload), lists and dicts, and reports each place
text can enter: free text (guarded), shaped (a pattern), a choice (a Literal) or unchecked.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from litestar import Litestar
from litestar.routes import ASGIRoute

from server.auth.schemas import LoginVerifyIn, RegisterOptionsIn, RegisterVerifyIn
from server.common.text import FREE_TEXT, NO_CONTROL
from server.sync.schemas import PushIn

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Unsafe routes whose body is not a typed ``data`` parameter: what each decodes by hand
# (empty: it reads no body beyond the CSRF token). A new route must be added here.
HAND_DECODED: dict[str, tuple[type[msgspec.Struct], ...]] = {
    "POST /auth/login/options": (),
    "POST /auth/login/verify": (LoginVerifyIn,),
    "POST /auth/register/options": (RegisterOptionsIn,),
    "POST /auth/register/verify": (RegisterVerifyIn,),
    "POST /logout": (),
    "POST /staff/{staff_id:int}/reinvite": (),
    "POST /staff/{staff_id:int}/deactivate": (),
    "POST /staff/{staff_id:int}/reactivate": (),
    "POST /staff/invites/{invite_id:int}/revoke": (),
    "POST /devices/{device_id:str}/revoke": (),
    "POST /sites/{site_id:int}/retire": (),
    "POST /sites/{site_id:int}/calendar/days/{day:date}/clear": (),
    "POST /sites/categories/{group:str}/{code:str}/toggle": (),
    "POST /sites/checks/{group:str}/{phase:str}/{code:str}/toggle": (),
    "POST /work-sessions/{work_session_id:int}/staff/{staff_id:int}/remove": (),
    "POST /review/{issue_id:int}/accept": (),
    # A push batch (server.sync.intake.read_batch; a malformed op is read loosely only to be
    # refused and kept masked).
    "POST /api/sync/push": (PushIn,),
    # The multipart form's one part read is ``file``: a push batch, read the same way.
    "POST /sync/upload": (PushIn,),
}
# ASGI routes that answer GET only: their query is read by hand, and no body at all.
READS_NO_BODY = {"/api/sync/pull"}
# Values that are not text: nothing to check in them.
NOT_TEXT: tuple[type, ...] = (
    int,
    float,
    bool,
    bytes,
    dt.datetime,
    dt.date,
    dt.time,
    type(None),
    msgspec.UnsetType,
)

Kind = Literal["free", "shape", "choice", "unchecked"]


@dataclass(frozen=True)
class TextField:
    """One place text enters: ``owner.name`` (``path`` from the request's root struct)."""

    root: type[msgspec.Struct]
    owner: type[msgspec.Struct]
    name: str
    path: str
    kind: Kind
    pattern: str | None = None

    @property
    def label(self) -> str:
        """``Owner.field`` for messages."""
        return f"{self.owner.__qualname__}.{self.name}"


def input_structs(app: Litestar) -> dict[str, tuple[type[msgspec.Struct], ...]]:
    """``"METHOD /path"`` → the structs that unsafe route decodes from its request.

    Raises:
        AssertionError: An unsafe route reads its body by hand and is not declared in
            :data:`HAND_DECODED` (the message names it).
    """
    found: dict[str, tuple[type[msgspec.Struct], ...]] = {}
    undeclared = []
    for route in app.routes:
        if isinstance(route, ASGIRoute):
            # An ASGI route reads its request by hand, whatever the method.
            keys = [k for k in HAND_DECODED if k.split(" ", 1)[1] == route.path]
            found.update({k: HAND_DECODED[k] for k in keys})
            if not keys and route.path not in READS_NO_BODY:
                undeclared.append(f"ASGI {route.path}")
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(set(handler.http_methods) & UNSAFE):
                key = f"{method} {route.path}"
                data = handler.parsed_fn_signature.parameters.get("data")
                annotation = data.annotation if data is not None else None
                if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
                    found[key] = (annotation,)
                elif key in HAND_DECODED:
                    found[key] = HAND_DECODED[key]
                else:
                    undeclared.append(f"{key} (data: {annotation!r})")
    assert not undeclared, f"declare these routes in HAND_DECODED: {undeclared}"
    return found


def text_fields(struct: type[msgspec.Struct]) -> list[TextField]:
    """Every place text enters ``struct``, nested structs and union members included."""
    return list(_walk(struct, struct, struct, "", "", set()))


def _walk(
    hint: Any,
    root: type[msgspec.Struct],
    owner: type[msgspec.Struct],
    name: str,
    path: str,
    seen: set[type],
) -> Iterator[TextField]:
    origin = typing.get_origin(hint)
    if origin is Annotated:
        base, *metadata = typing.get_args(hint)
        metas = [m for m in metadata if isinstance(m, msgspec.Meta)]
        if base is str:
            if FREE_TEXT in metas:
                yield TextField(root, owner, name, path, "free")
                return
            # A pattern checked at decoding, or one named for the service to check when
            # the op is applied (``extra["shape"]``; tests/unit/test_op_text_guard.py).
            patterns = [m.pattern for m in metas if m.pattern and m.pattern != NO_CONTROL]
            patterns += [m.extra["shape"] for m in metas if m.extra and "shape" in m.extra]
            if patterns:
                yield TextField(root, owner, name, path, "shape", patterns[0])
                return
            yield TextField(root, owner, name, path, "unchecked")
            return
        yield from _walk(base, root, owner, name, path, seen)
    elif origin is Literal:
        yield TextField(root, owner, name, path, "choice")
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            yield from _walk(arg, root, owner, name, path, seen)
    elif origin in (list, tuple, set, frozenset):
        for arg in typing.get_args(hint):
            if arg is not Ellipsis:
                yield from _walk(arg, root, owner, name, f"{path}[]", seen)
    elif origin is dict:
        key, value = typing.get_args(hint)
        yield from _walk(key, root, owner, f"{name} (key)", f"{path}{{key}}", seen)
        yield from _walk(value, root, owner, name, f"{path}{{}}", seen)
    elif hint is str or hint is Any or hint is object or hint is dict:
        yield TextField(root, owner, name, path, "unchecked")
    elif isinstance(hint, type) and issubclass(hint, msgspec.Struct):
        if hint in seen:
            return
        hints = typing.get_type_hints(hint, include_extras=True)
        tag = hint.__struct_config__.tag
        prefix = f"{path}<{tag}>" if isinstance(tag, str) else path
        for field in hint.__struct_fields__:
            dotted = f"{prefix}.{field}" if prefix else field
            yield from _walk(hints[field], root, hint, field, dotted, seen | {hint})
    elif isinstance(hint, type) and issubclass(hint, NOT_TEXT):
        return
    else:
        raise TypeError(f"{owner.__qualname__}.{name}: the walk does not know {hint!r}")
