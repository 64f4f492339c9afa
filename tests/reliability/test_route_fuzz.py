"""Every POST route of the app, fuzzed through real HTTP: never a 5xx.

The routes come from the app's own OpenAPI schema (``/schema/openapi.json``), so a new
route is fuzzed without touching this file. Each example picks a route, who calls it (an
overall manager or an operator with a real login session, or nobody), path values (real
ids, ids out of range, junk) and a body: the route's form or JSON with odd values (NULs
and other control characters, My Numbers, huge and negative numbers, wrong types, long
text), broken form encodings, malformed JSON, JSON that is not UTF-8 or nests thousands
deep, random bytes, and the wrong content type.

Examples: ``MADOGUCHI_FUZZ_EXAMPLES`` in all (default 300; CI sets 2000 and, with ``CI``
set, the test insists on it), half with a fixed seed and half with a random one;
``make fuzz`` runs 20,000.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, note, seed
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st

from server.app import create_app
from server.auth.web import SESSION_COOKIE
from server.settings import Settings
from tests import dbutil
from tests.support.cleanup import remove_test_rows_async, restore_categories
from tests.support.field import JST, new_uid, open_session, window
from tests.support.fuzz_values import (
    CONTENT_TYPES,
    FUZZ_EXAMPLES,
    JSON_VALUES,
    JUNK_JSON,
    JUNK_TEXT,
    NOT_UTF8,
    TEXT,
    check_ci_examples,
    shown,
)
from tests.support.harness import open_client
from tests.support.identities import make_staff, sign_in, sign_out

pytestmark = pytest.mark.slow

FIXED_SEED = 20261203
IDENTITIES = ("overall_manager", "operator", "anonymous")


@dataclasses.dataclass
class Route:
    """A POST route as the schema gives it."""

    path: str
    params: dict[str, dict[str, Any]]  # path parameter -> its schema
    form: dict[str, dict[str, Any]] | None  # form field -> its schema
    json: dict[str, dict[str, Any]] | None  # JSON property -> its schema
    multipart: bool


@dataclasses.dataclass
class Rig:
    """The app, its routes, and the rows worth aiming at."""

    client: httpx.AsyncClient
    settings: Settings
    routes: list[Route]
    people: dict[str, int]
    cookies: dict[str, str]
    real: dict[str, str]  # a valid value for each name a form or URL uses


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def routes_of(spec: dict[str, Any]) -> list[Route]:
    """Every POST route in the OpenAPI document."""
    found = []
    for path, item in sorted(spec["paths"].items()):
        if "post" not in item:
            continue
        operation = item["post"]
        params = {p["name"]: p.get("schema", {}) for p in operation.get("parameters", [])}
        content = operation.get("requestBody", {}).get("content", {})
        form = content.get("application/x-www-form-urlencoded")
        body = content.get("application/json")
        found.append(
            Route(
                path=path,
                params={k: v for k, v in params.items() if "{" + k + "}" in path},
                form=_resolve(form["schema"], spec).get("properties", {}) if form else None,
                json=_resolve(body["schema"], spec).get("properties", {}) if body else None,
                multipart="multipart/form-data" in content,
            )
        )
    return found


@pytest.fixture
async def rig(settings: Settings, database_url: str) -> AsyncIterator[Rig]:
    """An app whose sign-in rate limit never triggers, with a session, an incident and a
    device to aim at, and login sessions for a manager and an operator."""
    relaxed = dataclasses.replace(
        settings, auth=dataclasses.replace(settings.auth, signin_limit=1_000_000_000)
    )
    app = create_app(relaxed)
    try:
        async with open_client(app) as client:
            branch = int(
                str(dbutil.fetch(database_url, "SELECT id FROM site WHERE kind = 'branch'")[0][0])
            )
            ids = await open_session(relaxed, site_id=branch)
            people = {"overall_manager": ids["manager"], "operator": ids["operator"]}
            # Whom staff routes aim at: deactivating the operator would end its session.
            bystander = await make_staff("operator")
            cookies = {role: await sign_in(client, who, relaxed) for role, who in people.items()}
            spec = (await client.get("/schema/openapi.json")).json()
            device = await client.post("/api/devices", json={"label": "fuzz tablet"})
            assert device.status_code == 200, device.text
            uid = new_uid()
            # An hour ago in JST: an incident cannot have occurred later than now, and
            # just after midnight "today at 10:00" would be.
            occurred = dt.datetime.now(JST) - dt.timedelta(hours=1)
            filed = await client.post(
                "/incidents",
                data={
                    "uid": uid,
                    "site_id": str(branch),
                    "category": "complaint",
                    "severity": "low",
                    "occurred_date": occurred.date().isoformat(),
                    "occurred_time": occurred.strftime("%H:%M"),
                    "description": "ファズ用",
                },
            )
            assert filed.status_code == 303, filed.text[:300]
            real = {
                "site_id": str(branch),
                "work_session_id": str(ids["session"]),
                "staff_id": str(bystander),
                "uid": uid,
                "device_id": device.json()["device_id"],
                "issue_id": "1",
                "group": "outreach",
                "code": "visitors",
                "category": "issuance_reserved",
                "severity": "low",
                "status": "open",
                "duty": "operator",
                "role": "operator",
                "venue_kind": "university",
                "site_group": "office",
                "lang": "en",
                "next": "/",
                "slot": window()[1].isoformat(),
                "delta": "1",
                "base_version": "1",
                "work_date": window()[0].isoformat(),
                "occurred_date": window()[0].isoformat(),
                "reported_date": window()[0].isoformat(),
                "occurred_time": "10:00",
                "reported_time": "11:00",
                "planned_start": "18:00",
                "planned_end": "19:00",
            }
            yield Rig(client, relaxed, routes_of(spec), people, cookies, real)
    finally:
        await remove_test_rows_async(database_url)
        restore_categories(database_url)


# --- values --------------------------------------------------------------------------------

Draw = Callable[[st.SearchStrategy[Any]], Any]


def form_value(draw: Draw, rig: Rig, name: str) -> str:
    """Mostly the real value (so examples get past the first check), often junk."""
    choice = draw(st.integers(0, 9))
    if choice < 5:
        return rig.real.get(name, "テスト")
    if choice < 8:
        return str(draw(TEXT))
    return rig.real.get(name, "x") + str(draw(st.sampled_from(JUNK_TEXT)))


def path_value(draw: Draw, rig: Rig, name: str, schema: dict[str, Any]) -> str:
    if draw(st.integers(0, 2)):
        return rig.real.get(name, "1")
    if schema.get("type") == "integer":
        number = draw(st.one_of(st.integers(-(2**64), 2**64), st.sampled_from([0, 2**31, 2**63])))
        return str(number)
    return urllib.parse.quote(str(draw(TEXT))[:300], safe="") or "x"


def form_body(draw: Draw, rig: Rig, fields: dict[str, dict[str, Any]]) -> bytes:
    kind = draw(st.sampled_from(["fields", "fields", "fields", "raw", "bytes"]))
    if kind == "raw":  # broken encodings: bad percent escapes, bytes that are not UTF-8
        name: str = draw(st.sampled_from(sorted(fields) or ["x"]))
        tail: bytes = draw(
            st.sampled_from([b"%FF%FE", b"%", b"%zz", b"%00", b"=&&==", b"%C0%AF", b""])
        )
        junk: bytes = draw(st.sampled_from(NOT_UTF8))
        return name.encode() + b"=" + junk + tail
    if kind == "bytes":
        data: bytes = draw(st.binary(max_size=300))
        return data
    pairs = [(name, form_value(draw, rig, name)) for name in fields if draw(st.integers(0, 9))]
    if draw(st.integers(0, 5)) == 0:
        pairs.append((str(draw(st.text(max_size=10))), str(draw(TEXT))))
    if pairs and draw(st.integers(0, 5)) == 0:
        pairs.append(pairs[0])  # a field twice
    return urllib.parse.urlencode(pairs, encoding="utf-8", errors="surrogatepass").encode()


def push_body(draw: Draw, rig: Rig) -> dict[str, Any]:
    """A device's batch: real-looking ops with odd values here and there."""
    ops = []
    for seq in range(1, draw(st.integers(0, 3)) + 1):
        payload = {
            "work_session_id": int(rig.real["work_session_id"]),
            "slot_start": rig.real["slot"],
            "category": "issuance_reserved",
            "delta": 1,
        }
        op: dict[str, Any] = {
            "type": "headcount.add",
            "op_id": str(uuid.uuid4()),
            "device_id": rig.real["device_id"],
            "seq": seq,
            "actor_id": rig.people["operator"],
            "client_time": dt.datetime.now(dt.UTC).isoformat(),
            "payload": payload,
        }
        if draw(st.booleans()):
            target = payload if draw(st.booleans()) else op
            key = draw(st.sampled_from(sorted(target)))
            target[key] = draw(JSON_VALUES)
        ops.append(op)
    return {"device_id": rig.real["device_id"], "schema_version": 1, "ops": ops}


def json_document(draw: Draw, rig: Rig, route: Route) -> Any:
    if route.path == "/api/sync/push":
        return push_body(draw, rig)
    if route.path.startswith("/auth/"):
        return {"token": draw(JSON_VALUES), "credential": draw(JSON_VALUES)}
    fields = route.json or {}
    document: dict[str, Any] = {}
    for name in fields:
        if draw(st.integers(0, 3)):
            document[name] = (
                rig.real.get(name, "tablet") if draw(st.booleans()) else draw(JSON_VALUES)
            )
    return document


def json_body(draw: Draw, rig: Rig, route: Route) -> bytes:
    kind = draw(st.sampled_from(["document", "document", "junk", "not-utf8", "nested", "bytes"]))
    if kind == "junk":
        junk: bytes = draw(st.sampled_from(JUNK_JSON))
        return junk
    if kind == "bytes":
        data: bytes = draw(st.binary(max_size=300))
        return data
    if kind == "nested":
        depth: int = draw(
            st.one_of(st.integers(1, 20_000), st.sampled_from([500, 999, 1000, 5000]))
        )
        brackets: tuple[bytes, bytes] = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
        opener, closer = brackets
        closed: int = draw(st.integers(0, 1))
        return b'{"ops": ' + opener * depth + b"1" + closer * depth * closed + b"}"
    text = json.dumps(json_document(draw, rig, route), ensure_ascii=draw(st.booleans()))
    body = text.encode("utf-8", "surrogatepass")
    if kind == "not-utf8":
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.sampled_from(NOT_UTF8)) + body[at:]
    return body


def multipart_body(draw: Draw, rig: Rig) -> tuple[bytes, str]:
    boundary = "fuzzboundary"
    content = draw(
        st.one_of(st.binary(max_size=200), st.just(json.dumps(push_body(draw, rig)).encode()))
    )
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.json"\r\n'
            f"Content-Type: application/json\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


# --- the examples ----------------------------------------------------------------------------


async def one_example(rig: Rig, data: st.DataObject) -> None:
    """Draw a request, send it, and insist on an answer below 500."""
    check_ci_examples()
    route = data.draw(st.sampled_from(rig.routes), label="route")
    who = data.draw(st.sampled_from(IDENTITIES), label="who")
    values = {n: path_value(data.draw, rig, n, s) for n, s in route.params.items()}
    path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], route.path)
    kind = data.draw(st.sampled_from(["native", "native", "native", "form", "json"]), label="kind")
    content_type: str | None
    if kind == "native" and route.multipart:
        body, content_type = multipart_body(data.draw, rig)
    elif (kind == "native" and route.form is not None) or kind == "form":
        body, content_type = (
            form_body(data.draw, rig, route.form or {}),
            "application/x-www-form-urlencoded",
        )
    else:
        body, content_type = json_body(data.draw, rig, route), "application/json"
    if data.draw(st.integers(0, 9)) == 0:
        content_type = data.draw(st.sampled_from(CONTENT_TYPES), label="content-type")
    if who == "anonymous":
        sign_out(rig.client)
    else:
        rig.client.cookies.set(SESSION_COOKIE, rig.cookies[who])
    note(f"{who} POST {path} ({content_type}): {shown(body)}")
    headers = {"content-type": content_type} if content_type else {}
    if data.draw(st.booleans(), label="htmx"):
        headers["hx-request"] = "true"
    response = await rig.client.post(path, content=body, headers=headers)
    assert response.status_code < 500, (
        f"BUG: {who} POST {path} answered {response.status_code} to {shown(body)} "
        f"({content_type}): {response.text[:300]}"
    )
    if path == "/logout" and who != "anonymous":  # that session has ended: start another
        rig.cookies[who] = await sign_in(rig.client, rig.people[who], rig.settings)


FIXED_EXAMPLES = FUZZ_EXAMPLES // 2
FUZZ = fuzz_settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@fuzz_settings(parent=FUZZ, max_examples=FIXED_EXAMPLES, database=None)
@seed(FIXED_SEED)
@given(data=st.data())
async def test_post_routes_never_answer_5xx_fixed_seed(rig: Rig, data: st.DataObject) -> None:
    """Half the examples from a fixed seed: the same requests on every run."""
    await one_example(rig, data)


@fuzz_settings(parent=FUZZ, max_examples=FUZZ_EXAMPLES - FIXED_EXAMPLES)
@given(data=st.data())
async def test_post_routes_never_answer_5xx(rig: Rig, data: st.DataObject) -> None:
    """The other half from a new seed each run (Hypothesis prints it with a failure)."""
    await one_example(rig, data)


async def test_schema_lists_every_post_route(rig: Rig) -> None:
    """The fuzzer sees the routes of every domain (so a schema change cannot empty it)."""
    paths = {route.path for route in rig.routes}
    for expected in (
        "/sites/venues",
        "/sites/categories",
        "/incidents",
        "/incidents/{uid}",
        "/work-sessions",
        "/field/sessions/{work_session_id}/count",
        "/staff/invites",
        "/api/devices",
        "/api/sync/push",
        "/api/sync/report",
        "/auth/register/verify",
        "/lang",
    ):
        assert expected in paths, expected
