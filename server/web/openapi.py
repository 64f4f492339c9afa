"""The API schema (``/schema/openapi.json``), ASGI route handlers included.

Litestar describes typed route handlers only. The sync API's push and pull are ASGI route
handlers (:mod:`server.sync.routes`), so typed twins that are never served describe them:
their paths and types are added to the schema Litestar generates for the app.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin


class DescribedJsonRenderPlugin(JsonRenderPlugin):
    """Litestar's JSON schema with the paths of ``described`` (typed twins of ASGI route
    handlers) merged in, built once on the first request for it."""

    def __init__(self, described: Sequence[HTTPRouteHandler], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._described = described
        self._rendered: dict[int, bytes] = {}

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The app's schema as JSON, with the twins' paths and component schemas added."""
        key = id(openapi_schema)  # Litestar builds the app's schema once and keeps it
        if key not in self._rendered:
            self._rendered = {key: self.render_json(request, self.merged(openapi_schema))}
        return self._rendered[key]

    def merged(self, openapi_schema: dict[str, Any]) -> dict[str, Any]:
        """``openapi_schema`` with the twins' paths and component schemas added."""
        twins = Litestar(
            route_handlers=list(self._described),
            openapi_config=OpenAPIConfig(title="-", version="-"),
            logging_config=None,
        ).openapi_schema.to_schema()
        components = dict(openapi_schema.get("components", {}))
        components["schemas"] = {
            **twins.get("components", {}).get("schemas", {}),
            **components.get("schemas", {}),
        }
        return {
            **openapi_schema,
            "paths": {**openapi_schema.get("paths", {}), **twins.get("paths", {})},
            "components": components,
        }
