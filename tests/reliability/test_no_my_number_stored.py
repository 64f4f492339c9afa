"""Every refused My Number form, sent into every text field of every route and op, is kept
nowhere: not in any text column of any table, not in the server's log (issue 16).

The fields come from the app itself (``tests.support.input_fields``): each route's form or
JSON body, and every op type's envelope and payload, pushed through ``/api/sync/push`` from
a registered device and uploaded as an exported file through ``/sync/upload``. A route or
op field with no way to send it here fails the test, so new fields are covered as they come.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import httpx
import msgspec
import pytest

from server.app import create_app
from server.auth.web import SESSION_COOKIE
from server.settings import Settings
from server.sync.schemas import PushIn
from server.web.request_log import LOGGER_NAME, JsonFormatter
from tests import dbutil
from tests.support.cleanup import remove_test_rows_async
from tests.support.harness import open_client, run_cli
from tests.support.input_fields import TextField, input_structs, text_fields
from tests.support.leak_rig import Body, World, put, send
from tests.support.leaks import REFUSED, leaks

pytestmark = pytest.mark.slow

OPS_ROUTES = ("POST /api/sync/push", "POST /sync/upload")
# Op types that store text: each must be applied when its text is clean.
WRITES_TEXT = {
    "site.add_venue",
    "work_session.plan",
    "work_session.update",
    "headcount.add",
    "headcount.category_add",
    "incident.create",
    "incident.update",
}


class Captured(logging.Handler):
    """Everything any logger emits, as a running server would print it: our loggers as the
    app's JSON lines, others plainly with any traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.json = JsonFormatter()
        self.plain = logging.Formatter("%(levelname)s %(name)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        """Keep ``record`` as a line."""
        mine = record.name.startswith(LOGGER_NAME)
        self.lines.append((self.json if mine else self.plain).format(record))


def columns(url: str, table: str) -> list[str]:
    """``table``'s column names, in ``SELECT *`` order."""
    if dbutil.is_postgres(url):
        sql = (
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            f"AND table_name = '{table}' ORDER BY ordinal_position"
        )
        return [str(name) for (name,) in dbutil.fetch(url, sql)]
    return [str(row[1]) for row in dbutil.fetch(url, f'PRAGMA table_info("{table}")')]


def scan_database(url: str) -> list[str]:
    """``table.column: value`` of every stored value that holds a My Number (read from a
    list of tables the database itself gives)."""
    if dbutil.is_postgres(url):
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    found = []
    tables = [str(table) for (table,) in dbutil.fetch(url, sql)]
    assert {"sync_issue", "audit_event", "incident", "invite"} <= set(tables), tables
    for table in tables:
        names = columns(url, table)
        for row in dbutil.fetch(url, f'SELECT * FROM "{table}"'):
            for name, value in zip(names, row, strict=True):
                text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                if text is not None and leaks(str(text)):
                    found.append(f"{table}.{name}: {str(text)[:160]!r}")
    return found


def by_column(found: list[str]) -> dict[str, tuple[int, str]]:
    """``table.column`` → how many of ``found`` are there, and the first."""
    grouped: dict[str, tuple[int, str]] = {}
    for item in found:
        where, _, value = item.partition(": ")
        count, first = grouped.get(where, (0, value))
        grouped[where] = (count + 1, first)
    return dict(sorted(grouped.items()))


def op_fields() -> dict[str, list[str]]:
    """Per op type, the paths of its text fields inside the op (``payload.name_ja``, ``op_id``)."""
    found: dict[str, list[str]] = {}
    for field in text_fields(PushIn):
        if field.kind == "choice" or not field.path.startswith("ops[]<"):
            continue
        op_type, _, path = field.path.removeprefix("ops[]<").partition(">.")
        found.setdefault(op_type, []).append(path)
    return found


async def send_batch(
    http: httpx.AsyncClient, world: World, route: str, device: str, batch: list[Body]
) -> list[str]:
    """Push or upload ``batch``; a batch refused whole is named (its ops were not looked at)."""
    content = msgspec.json.encode({"device_id": device, "schema_version": 1, "ops": batch})
    if route.endswith("push"):
        headers = {"content-type": "application/json"}
        answer = await http.post("/api/sync/push", content=content, headers=headers)
    else:
        files = {"file": ("unsent.json", content, "application/json")}
        answer = await http.post("/sync/upload", files=files)
    assert answer.status_code < 500, f"{route}: {answer.status_code} {answer.text[:300]}"
    if answer.status_code == 200:
        return []
    world.seq[device] -= len(batch)
    return [f"{route} refused a batch whole ({answer.status_code} {answer.text[:120]})"]


async def send_everything(http: httpx.AsyncClient, world: World, app: Any) -> list[str]:
    """Each refused vector into each field; returns what no request could reach."""
    missing: list[str] = []
    # Ops first: the review items they leave are what the dismiss form needs.
    by_type = op_fields()
    assert set(by_type) == set(world.payloads()), "an op type has no payload here"
    # Without a My Number the ops that store text are applied: a refusal below is the
    # guard's doing (the others, such as a close, would change the world for the rest).
    device = world.devices[0]
    clean = [world.op(device, k, p) for k, p in world.payloads().items() if k in WRITES_TEXT]
    answer = await send(
        http, "json", "/api/sync/push", {"device_id": device, "schema_version": 1, "ops": clean}
    )
    applied = {
        op["type"]
        for op, result in zip(clean, answer.json()["results"], strict=True)
        if result["status"] == "applied"
    }
    assert applied >= WRITES_TEXT, answer.text
    for text in REFUSED:
        whole = {
            "device_id": text,
            "schema_version": 1,
            "ops": [world.op(text, "site.retire", {"site_id": 1})],
        }
        for path in ("/api/sync/push", "/api/sync/report"):
            answer = await send(
                http,
                "json",
                path,
                whole if path.endswith("push") else {"device_id": text, "reports": []},
            )
        for device, route in zip(world.devices, OPS_ROUTES, strict=True):
            # An op naming another device may refuse its whole batch: those go alone.
            for envelope in (False, True):
                batch = []
                for op_type, payload in world.payloads().items():
                    for path in by_type[op_type]:
                        if (path == "device_id") == envelope:
                            op = world.op(device, op_type, json.loads(json.dumps(payload)))
                            put(op, path, text)
                            batch.append(op)
                missing.extend(await send_batch(http, world, route, device, batch))
    factories = world.factories(http)
    for key, structs in sorted(input_structs(app).items()):
        fields: list[TextField] = [f for s in structs for f in text_fields(s) if f.kind != "choice"]
        if key in OPS_ROUTES or not fields:
            continue
        if key not in factories:
            missing.append(key)
            continue
        kind, url, body = await factories[key]()
        answer = await send(http, kind, url, body)
        if answer.status_code >= 400:  # then a refusal below proves nothing
            missing.append(f"{key}: its plain request was refused ({answer.status_code})")
        http.cookies.set(SESSION_COOKIE, world.cookie)
        for field in fields:
            if "{" in field.path:  # a dict's keys or values: no field to put text into
                missing.append(f"{key} {field.path}")
                continue
            for text in REFUSED:
                kind, url, body = await factories[key]()
                put(body, field.path, text)
                await send(http, kind, url, body)
                # A sign-in that went through would have switched the client's person.
                http.cookies.set(SESSION_COOKIE, world.cookie)
    return missing


@pytest.mark.timeout(900)  # every field of every route, one request each
async def test_no_my_number_is_stored_or_logged(settings: Settings, database_url: str) -> None:
    """After every vector in every field of every route and op, no table or log line holds one."""
    settings = dataclasses.replace(
        settings, auth=dataclasses.replace(settings.auth, signin_limit=1_000_000)
    )
    app = create_app(settings)
    captured = Captured()
    root = logging.getLogger()
    root.addHandler(captured)
    try:
        async with open_client(app) as http:
            world = World()
            await world.build(http, settings, database_url)
            missing = await send_everything(http, world, app)
        # `madoguchi invite --name` has the invite form's rule; a few forms through the command
        # itself (a process each), the rest through the form above.
        cli = [
            text
            for text in (REFUSED[0], "0578 3086 2716", "０５７８３０８６２７１６", REFUSED[-1])
            if run_cli("invite", "--name", text, "--role", "operator").returncode == 0
        ]
        stored = scan_database(database_url)
        logged = [line[:200] for line in captured.lines if leaks(line)]
        assert any('"path":"/api/sync/push"' in line for line in captured.lines), "no log seen"
    finally:
        root.removeHandler(captured)
        await remove_test_rows_async(database_url)
    problems = [
        *(f"not sent: {what}" for what in dict.fromkeys(missing)),
        *(f"madoguchi invite --name accepted {text!r}" for text in cli),
        *(
            f"stored in {where}: {n} values, e.g. {example}"
            for where, (n, example) in by_column(stored).items()
        ),
        *(f"logged: {line}" for line in logged),
    ]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:80])
