"""Hand-written SQL lives where a reader expects it: in each domain's ``store.py`` (or
``queries.py``) and the database modules (``server/db.py``, ``server/db_engine.py``,
``server/db_bulk.py``), nowhere else in ``server/``. Only those ask which engine runs
(``is_postgres()``), and only the engine module overrides a private method of Piccolo or
aiosqlite. The migrations folder is outside ``server/`` and keeps its own SQL: Piccolo
migrations run raw statements for what its schema operations cannot say."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "server"
DATABASE_MODULES = {"db.py", "db_engine.py", "db_bulk.py"}  # directly in server/
ENGINE_MODULE = "db_engine.py"
STORE_NAMES = {"store.py", "queries.py"}

# A statement in a string: keywords in capitals, as the app writes SQL (prose in lower case
# or a docstring is not a statement).
SQL = re.compile(
    r"\bSELECT\b[\s\S]*?\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+[\w\"]+(\s+AS\s+\w+)?\s+SET\b"
    r"|\bDELETE\s+FROM\b"
)


def _sources() -> list[Path]:
    return sorted(SERVER.rglob("*.py"))


def _may_hold_sql(path: Path) -> bool:
    if path.name in STORE_NAMES:
        return True
    return path.parent == SERVER and path.name in DATABASE_MODULES


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(id(value))
    return found


def sql_strings(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of each string literal in ``source`` that holds an SQL statement
    (f-strings with ``{}`` for what they interpolate)."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    inside_fstrings = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                str(part.value) if isinstance(part, ast.Constant) else "{}" for part in node.values
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in skip or id(node) in inside_fstrings:
                continue
            text = node.value
        else:
            continue
        if SQL.search(text):
            yield node.lineno, " ".join(text.split())[:80]


def engine_questions(source: str) -> Iterator[int]:
    """Lines of each call of ``is_postgres()``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name == "is_postgres":
                yield node.lineno


def _imported(tree: ast.AST) -> dict[str, str]:
    """Names bound by ``from x import y [as z]``: name -> ``x.y``."""
    return {
        alias.asname or alias.name: f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }


def private_overrides(source: str) -> Iterator[tuple[int, str]]:
    """(line, Class.method) of each method a class defines over a private method (one
    leading underscore) of a Piccolo or aiosqlite base class."""
    tree = ast.parse(source)
    imported = _imported(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = []
        for base in node.bases:
            origin = imported.get(base.id) if isinstance(base, ast.Name) else None
            if origin and origin.split(".")[0] in {"piccolo", "aiosqlite"}:
                module, _, name = origin.rpartition(".")
                bases.append(getattr(importlib.import_module(module), name))
        for item in node.body:
            if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            private = item.name.startswith("_") and not item.name.startswith("__")
            if private and any(hasattr(base, item.name) for base in bases):
                yield item.lineno, f"{node.name}.{item.name}"


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(SERVER.parent)}:{line}"


def test_raw_sql_only_in_store_and_database_modules() -> None:
    """No string literal outside a store, queries or database module holds a statement."""
    found = [
        f"{_where(path, line)} {text}"
        for path in _sources()
        if not _may_hold_sql(path)
        for line, text in sql_strings(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_only_store_and_database_modules_ask_the_engine() -> None:
    """``is_postgres()`` is called in store, queries and database modules only."""
    found = [
        _where(path, line)
        for path in _sources()
        if not _may_hold_sql(path)
        for line in engine_questions(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_only_the_engine_module_overrides_private_methods() -> None:
    """No class outside server/db_engine.py overrides a private Piccolo or aiosqlite
    method."""
    found = [
        f"{_where(path, line)} {name}"
        for path in _sources()
        if not (path.parent == SERVER and path.name == ENGINE_MODULE)
        for line, name in private_overrides(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_checks_find_what_they_look_for() -> None:
    """Each check finds a planted case, and leaves docstrings and prose alone."""
    planted = '''
"""SELECT a FROM b in a docstring is prose."""
from piccolo.engine.sqlite import SQLiteEngine
from server import db

A = "SELECT id " "FROM site WHERE id = {}"
B = f"INSERT INTO {table} (a) VALUES ({{}})"
C = "UPDATE device AS d SET high_water = 1"
D = "select what you like from the list"

def f():
    """DELETE FROM x, in a docstring."""
    return db.is_postgres()

class E(SQLiteEngine):
    async def _run_in_new_connection(self, query):
        return query

    async def run_querystring(self, querystring, in_pool=False):
        return querystring
'''
    assert [line for line, _ in sql_strings(planted)] == [6, 7, 8]
    assert list(engine_questions(planted)) == [13]
    assert list(private_overrides(planted)) == [(16, "E._run_in_new_connection")]
