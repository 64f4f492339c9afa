"""The layers run one way: the op machinery below the domains, sync on top of them.

Walks the import statements of the source (not what happens to be loaded), following
``server.*`` imports transitively, so a domain reaching sync through a shared helper fails too.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[2] / "server"
RECORD_KEEPING = ("sites", "staff", "work_sessions", "headcounts", "incidents")
DOMAINS = (*RECORD_KEEPING, "reconciliation")
# Not followed: the list of every table, which the database engine binds and migrations read.
TABLE_LIST = "server.piccolo_app"


def _module_file(name: str) -> Path | None:
    parts = name.split(".")[1:]
    base = SERVER.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


@cache
def _direct(name: str) -> frozenset[str]:
    """The ``server.*`` modules ``name`` imports (``from server.x import y`` counts
    ``server.x.y`` when that is a module, else ``server.x``)."""
    path = _module_file(name)
    if path is None:
        return frozenset()
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("server"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("server"):
                continue
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if _module_file(sub) else node.module)
    return frozenset(found)


def _reach(name: str) -> dict[str, str]:
    """Every module ``name`` reaches, each with the module that imports it first."""
    seen: dict[str, str] = {}
    todo = [name]
    while todo:
        current = todo.pop()
        for imported in _direct(current):
            if imported == TABLE_LIST:
                continue
            if imported not in seen and imported != name:
                seen[imported] = current
                todo.append(imported)
    return seen


def _modules(package: str) -> list[str]:
    folder = SERVER / package
    return [f"server.{package}.{p.stem}" for p in sorted(folder.glob("*.py"))]


def _path(reached: dict[str, str], start: str, end: str) -> str:
    chain = [end]
    while chain[-1] != start and chain[-1] in reached:
        chain.append(reached[chain[-1]])
    return " <- ".join(chain)


@pytest.mark.parametrize("package", RECORD_KEEPING)
def test_record_keeping_domains_never_reach_sync(package: str) -> None:
    """Sites, staff, sessions, counts and incidents work without the sync layer."""
    for module in _modules(package):
        reached = _reach(module)
        bad = sorted(m for m in reached if m == "server.sync" or m.startswith("server.sync."))
        assert not bad, f"{module} reaches {_path(reached, module, bad[0])}"


def test_the_op_machinery_sits_below_every_domain() -> None:
    """``server.ops`` imports no domain and no transport: domains add their kinds to it."""
    above = tuple(f"server.{p}" for p in (*DOMAINS, "sync", "web", "app", "domains"))
    for module in _modules("ops"):
        reached = _reach(module)
        bad = sorted(m for m in reached if m.startswith(above))
        assert not bad, f"{module} reaches {_path(reached, module, bad[0])}"


def test_every_domain_keeps_its_own_ops() -> None:
    """Each record-keeping domain that writes has an ``ops.py`` beside its service."""
    for package in ("sites", "work_sessions", "headcounts", "incidents"):
        assert (SERVER / package / "ops.py").exists(), package


def test_the_walk_sees_a_violation() -> None:
    """The walk itself finds an import of sync (the sync layer reaches itself)."""
    reached = _reach("server.sync.push")
    assert "server.sync.keep" in reached
    assert "server.ops.apply" in reached


def test_the_registry_and_the_wire_union_name_the_same_ops() -> None:
    """Every op a device can send has a rule installed, and every rule a device may use can
    be sent (the server's own ops, such as registering a device, cannot)."""
    import typing

    from server import domains
    from server.ops import registry
    from server.sync import ops

    domains.install()
    sent = set(typing.get_args(ops.Op))
    installed = {kind.op for kind in registry.installed() if kind.synced}
    assert sent == installed
    assert len({kind.tag for kind in registry.installed()}) == len(registry.installed())
