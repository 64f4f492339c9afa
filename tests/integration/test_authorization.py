"""Every route of the app against every kind of caller, through real HTTP.

The route list is read from the app itself, so a new route is covered the day it is added:
it either declares a permission and gets checked against all seven identities, or the
declaration test fails.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar import Litestar, get
from litestar.handlers import HTTPRouteHandler
from litestar.handlers.base import BaseRouteHandler
from litestar.routes import ASGIRoute, HTTPRoute

from server.app import create_app
from server.auth.policy import ROLES, Permission, allows, assignable_roles, can_assign_role
from server.settings import Settings
from tests import dbutil
from tests.support.cleanup import remove_test_rows_async
from tests.support.harness import open_client
from tests.support.identities import (
    ANONYMOUS,
    DEACTIVATED,
    make_signed_in,
    make_staff,
    sign_in,
)

IDENTITIES = (
    ANONYMOUS,
    DEACTIVATED,
    "city_staff",
    "overall_manager",
    "business_manager",
    "deputy_manager",
    "operator",
)
# Browsers navigate with this; the guard answers such GETs with a redirect to /login.
PAGE_ACCEPT = "text/html,application/xhtml+xml,*/*;q=0.8"
REDIRECTS = (301, 302, 303, 307, 308)

# Bodies for POST routes, as the pages and scripts send them. A POST route not listed here
# gets DEFAULT_BODY: enough to reach the guard, which runs before the body is parsed.
FORM_BODIES: dict[str, dict[str, str]] = {
    "/lang": {"lang": "en", "next": "/"},
    "/staff/invites": {"display_name": "Invited Person", "role": "operator"},
    "/staff/{staff_id:int}/reinvite": {},
    "/staff/{staff_id:int}/deactivate": {},
    "/logout": {},
    "/review/{issue_id:int}/accept": {},
    "/review/{issue_id:int}/dismiss": {"reason": "重複した記録のため"},
}
JSON_BODIES: dict[str, dict[str, Any]] = {
    "/auth/login/options": {},
    "/auth/login/verify": {"credential": {"id": "AAAA", "response": {}}},
    "/auth/register/options": {"token": "not-a-real-invite-token"},
    "/auth/register/verify": {"token": "not-a-real-invite-token", "credential": {}},
}
DEFAULT_BODY: dict[str, Any] = {"probe": True}
Route = HTTPRoute | ASGIRoute


@pytest.fixture
def settings() -> Settings:
    """This run's settings with a sign-in rate limit the sweep never reaches.

    The sweep posts to each /auth/* route once per identity (28 attempts from one client
    address, against a default limit of 30); a 429 would hide what the route answers.
    """
    base = Settings.from_env()
    return dataclasses.replace(base, auth=dataclasses.replace(base.auth, signin_limit=100_000))


def is_auto_options(handler: HTTPRouteHandler) -> bool:
    """Whether ``handler`` is the OPTIONS handler Litestar adds to every path by itself.

    Litestar generates one per path (``HTTPRoute.create_options_handler``) to answer CORS
    preflights with an ``Allow`` header. It runs none of our code and reads or writes
    nothing; being generated, it cannot carry an ``opt`` of ours (it only inherits one from
    an enclosing router, as under /static and /schema, and is refused by the guard
    elsewhere). Every other handler, ours or Litestar's (static files, OpenAPI), is checked.
    """
    qualname = getattr(handler.fn, "__qualname__", "")
    return handler.http_methods == {"OPTIONS"} and qualname.startswith(
        "HTTPRoute.create_options_handler"
    )


# ASGI route handlers (server.sync.routes) answer one method each: the sweep sends that one.
ASGI_METHODS = {"/api/sync/push": "POST", "/api/sync/pull": "GET"}


def endpoints(app: Litestar) -> Iterator[tuple[Route, BaseRouteHandler, str]]:
    """Every (route, handler, method) of ``app``, Litestar's own OPTIONS handlers excepted."""
    for route in app.routes:
        if isinstance(route, ASGIRoute):
            assert route.path in ASGI_METHODS, f"{route.path}: an ASGI route, name its method"
            yield route, route.route_handler, ASGI_METHODS[route.path]
            continue
        assert isinstance(route, HTTPRoute), f"{route.path}: not an HTTP route, check it by hand"
        for handler in route.route_handlers:
            if is_auto_options(handler):
                continue
            for method in sorted(handler.http_methods):
                yield route, handler, method


def candidate_values(name: str, kind: type, staff_id: int) -> list[str]:
    """Plausible values for a path parameter, best first."""
    if kind is int:
        return [str(staff_id)]  # an existing person; other ids simply find nothing
    if kind is uuid.UUID:
        return [str(uuid.uuid4())]
    if kind is dt.date:
        return ["2025-04-01"]
    if kind is dt.datetime:
        return ["2025-04-01T09:00:00+09:00"]
    if name == "token":
        return ["dummy-invite-token-0123456789abcdef"]
    if name == "file_path":
        return ["css/app.css"]
    if name == "path":
        # /schema/openapi.json is its own route; the others reach the {path:str} handler.
        return ["openapi.json", "openapi.yaml", "no-such-document"]
    return ["x", "1"]


def fill_path(
    app: Litestar, route: Route, handler: BaseRouteHandler, method: str, staff_id: int
) -> str:
    """``route.path`` with its parameters filled so that the router picks ``handler``."""
    definitions = list(route.path_parameters.values())
    choices = [candidate_values(d.name, d.type, staff_id) for d in definitions]
    for values in itertools.product(*choices):
        candidate = route.path
        for definition, value in zip(definitions, values, strict=True):
            candidate = candidate.replace("{" + definition.full + "}", value)
        if app.asgi_router.handle_routing(path=candidate, method=method)[1] is handler:
            return candidate
    pytest.fail(f"no values for {route.path} reach {handler}")


async def send(
    client: httpx.AsyncClient, route_path: str, path: str, method: str
) -> httpx.Response:
    """One request as a browser or script would make it (redirects not followed)."""
    if method in ("GET", "HEAD"):
        return await client.request(
            method, path, headers={"accept": PAGE_ACCEPT}, follow_redirects=False
        )
    if route_path in FORM_BODIES:
        return await client.request(
            method, path, data=FORM_BODIES[route_path], follow_redirects=False
        )
    body = JSON_BODIES.get(route_path, DEFAULT_BODY)
    return await client.request(method, path, json=body, follow_redirects=False)


def to_login(location: str | None) -> bool:
    """Whether a redirect goes to the sign-in page (with the page to return to, or not)."""
    return location is not None and (location == "/login" or location.startswith("/login?next="))


def refused_as_anonymous(response: httpx.Response) -> bool:
    """401, or the guard's 303 to the sign-in page."""
    if response.status_code == 401:
        return True
    return response.status_code == 303 and to_login(response.headers.get("location"))


def sent_to_login(response: httpx.Response, method: str) -> bool:
    """Whether ``response`` is the guard's redirect to /login.

    The guard redirects only GETs; a POST answering 303 to /login is the logout route doing
    its job, not a refusal.
    """
    return (
        method == "GET"
        and response.status_code in REDIRECTS
        and to_login(response.headers.get("location"))
    )


async def test_every_route_answers_each_identity_as_its_permission_says(
    app: Litestar, client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Routes × identities: refused ones get 401/303 (not signed in) or 403, others get through."""
    swept = list(endpoints(app))
    assert len(swept) >= 17, [f"{m} {r.path}" for r, _, m in swept]
    deactivated_sessions: list[int] = []
    failures: list[str] = []
    for route, handler, method in swept:
        permission = handler.opt.get("permission")
        assert isinstance(permission, Permission), f"{method} {route.path} declares no permission"
        for identity in IDENTITIES:
            # Fresh people and a fresh login session per request: /logout ends the session,
            # /staff/{id}/deactivate deactivates the person named in the path.
            target = await make_staff("operator")
            actor = await make_signed_in(client, identity, settings)
            if identity == DEACTIVATED:
                assert actor is not None
                deactivated_sessions.append(actor)
            path = fill_path(app, route, handler, method, target)
            response = await send(client, route.path, path, method)
            role = identity if identity in ROLES else None
            label = f"{identity:>16} {method:<4} {path} -> {response.status_code}"
            if response.status_code >= 500:
                failures.append(f"{label}: server error")
            elif allows(permission, role):
                if response.status_code in (401, 403) or sent_to_login(response, method):
                    failures.append(f"{label}: refused, but {permission} allows it")
            elif role is None:
                if not refused_as_anonymous(response):
                    failures.append(f"{label}: expected 401 or 303 to /login")
                elif response.status_code == 401:
                    assert response.json()["error"] == "not_signed_in", label
            elif response.status_code != 403:
                failures.append(f"{label}: expected 403 for {permission}")
    assert not failures, "\n".join(failures)
    # The deactivated people's sessions were refused by the guard, not missing.
    ids = ",".join(str(i) for i in deactivated_sessions)
    rows = dbutil.fetch(
        database_url, f"SELECT COUNT(DISTINCT staff) FROM login_session WHERE staff IN ({ids})"
    )
    assert rows[0][0] == len(set(deactivated_sessions))


def test_every_route_declares_a_permission(app: Litestar) -> None:
    """Each handler (Litestar's generated OPTIONS handlers aside) declares a Permission."""
    undeclared = [
        f"{method} {route.path} ({handler})"
        for route, handler, method in endpoints(app)
        if not isinstance(handler.opt.get("permission"), Permission)
    ]
    assert undeclared == []


@get("/test-undeclared", sync_to_thread=False)
def undeclared() -> str:
    """A route that forgot its permission."""
    return "should never be served"


@get("/test-mistyped", opt={"permission": "public"}, sync_to_thread=False)
def mistyped() -> str:
    """A route whose permission is a string, not a Permission."""
    return "should never be served"


async def test_route_without_a_permission_is_refused_to_everybody(
    settings: Settings, database_url: str
) -> None:
    """A route registered without a Permission answers 403 to anyone, even the top role."""
    app = create_app(settings)
    app.register(undeclared)
    app.register(mistyped)
    try:
        async with open_client(app) as client:
            for identity in (ANONYMOUS, "overall_manager", "city_staff"):
                await make_signed_in(client, identity, settings)
                for path in ("/test-undeclared", "/test-mistyped"):
                    response = await client.get(path, headers={"accept": PAGE_ACCEPT})
                    assert response.status_code == 403, (identity, path, response.status_code)
                    assert "should never be served" not in response.text
    finally:
        await remove_test_rows_async(database_url)


# Who may invite (re-invite, deactivate) whom: actor role -> roles allowed.
ASSIGNABLE: dict[str, set[str]] = {
    "overall_manager": {
        "overall_manager",
        "business_manager",
        "deputy_manager",
        "operator",
        "city_staff",
    },
    "business_manager": {"business_manager", "deputy_manager", "operator"},
    "deputy_manager": {"deputy_manager", "operator"},
    "operator": set(),
    "city_staff": set(),
}


@pytest.mark.parametrize("actor", ROLES)
def test_can_assign_role_matrix(actor: str) -> None:
    """Managers act at or below their rank; only the overall manager handles city staff."""
    allowed = {role for role in ROLES if can_assign_role(actor, role)}
    assert allowed == ASSIGNABLE[actor]
    assert set(assignable_roles(actor)) == ASSIGNABLE[actor]


def test_can_assign_role_named_rules() -> None:
    """The rules as the contract states them."""
    assert not can_assign_role("deputy_manager", "business_manager")
    assert [a for a in ROLES if can_assign_role(a, "city_staff")] == ["overall_manager"]
    for nobody in ("operator", "city_staff"):
        assert not any(can_assign_role(nobody, role) for role in ROLES)
    for unknown in ("", "admin", "OVERALL_MANAGER"):
        assert not can_assign_role(unknown, "operator")
        assert not can_assign_role("overall_manager", unknown)


def invites(database_url: str) -> int:
    """How many invite rows there are."""
    return int(str(dbutil.fetch(database_url, "SELECT COUNT(*) FROM invite")[0][0]))


async def test_deputy_cannot_invite_business_manager_over_http(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """A deputy posting an invite for a business manager is refused and no invite is stored."""
    deputy = await make_staff("deputy_manager")
    await sign_in(client, deputy, settings)
    before = invites(database_url)
    refused = await client.post(
        "/staff/invites", data={"display_name": "Above Me", "role": "business_manager"}
    )
    assert refused.status_code == 422
    assert invites(database_url) == before
    # The same request for a role within reach works: the 422 above was the rank rule.
    allowed = await client.post(
        "/staff/invites",
        data={"display_name": "Below Me", "role": "operator"},
        follow_redirects=True,
    )
    assert allowed.status_code == 200
    assert "/invite/" in allowed.text
    assert invites(database_url) == before + 1
