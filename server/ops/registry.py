"""Which op types exist, who may apply them and which domain rule applies each.

Each domain lists its kinds (``KINDS`` in its ``service.py``); the composition root
(:mod:`server.domains`) installs them at start-up, so this layer never imports a domain.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, NamedTuple

from server.auth.policy import Permission
from server.ops.context import Actor, Applied, ApplyContext
from server.ops.envelope import OpBase, tag_of
from server.settings import FieldSettings

Handler = Callable[[Any, ApplyContext], Awaitable[Applied]]
"""A domain rule: applies an op inside the write transaction :func:`apply_op` opens."""

Whole = Callable[[Any, Actor, FieldSettings, dt.datetime | None], Awaitable[Applied]]
"""A domain's own way to apply an op from start to end (transaction and audit included)."""


class Kind(NamedTuple):
    """One op type: its class, the permission it needs, and how it is applied.

    ``check``: shapes left to be checked when the op is applied rather than decoded.
    ``whole``: applies the op itself (a count goes the batch way, even alone).
    ``synced``: devices may send it (false for ops only the server makes).
    """

    op: type[OpBase]
    permission: Permission
    handler: Handler | None = None
    check: Callable[[Any], None] | None = None
    whole: Whole | None = None
    synced: bool = True

    @property
    def tag(self) -> str:
        """The op type's ``type`` tag."""
        return tag_of(self.op)


_KINDS: dict[type[OpBase], Kind] = {}


def install(kinds: Iterable[Kind]) -> None:
    """Make ``kinds`` known (again: the same class replaces its earlier entry)."""
    for kind in kinds:
        _KINDS[kind.op] = kind


def kind_of(op: OpBase) -> Kind:
    """The installed kind of ``op``.

    Raises:
        LookupError: Its type was never installed (start-up forgot ``server.domains``).
    """
    try:
        return _KINDS[type(op)]
    except KeyError:
        raise LookupError(
            f"op type {tag_of(type(op))!r} is not installed: call server.domains.install()"
        ) from None


def installed() -> tuple[Kind, ...]:
    """Every installed kind."""
    return tuple(_KINDS.values())
