"""The application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.openapi.config import OpenAPIConfig
from litestar.plugins import PluginProtocol
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_500_INTERNAL_SERVER_ERROR
from litestar.template.config import TemplateConfig

from server import db, domains
from server.auth import routes as auth_routes
from server.auth.policy import Permission
from server.auth.web import authorize, csrf_middleware, session_middleware
from server.common import exports
from server.common.errors import OpRejected
from server.dashboard import routes as dashboard_routes
from server.headcounts import routes as headcounts_routes
from server.incidents import routes as incidents_routes
from server.journal import report_routes
from server.journal import routes as journal_routes
from server.reconciliation import routes as reconciliation_routes
from server.reports import routes as reports_routes
from server.settings import Settings
from server.sites import routes as sites_routes
from server.staff import routes as staff_routes
from server.sync import client_routes, devices
from server.sync import routes as sync_routes
from server.sync.receive import MarkHints
from server.web import routes as web_routes
from server.web.errors import AppRequest, client_error, refused
from server.web.http_errors import http_error
from server.web.i18n import install_i18n, load_catalogs
from server.web.json_answer import GZIP_LEVEL, GZIP_MINIMUM, OWN_COMPRESSION
from server.web.openapi import DescribedJsonRenderPlugin
from server.web.request_log import configure_logging, log_unhandled, request_log_middleware
from server.web.security import security_headers_middleware
from server.work_sessions import check_routes
from server.work_sessions import routes as work_sessions_routes

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"


def create_app(settings: Settings, *, plugins: Sequence[PluginProtocol] = ()) -> Litestar:
    """Build the Madoguchi app for ``settings``.

    Builds the database engine (nothing is opened until startup), binds every table to it,
    reads the translation catalogs and wires routes and middleware.

    Args:
        settings: The settings tree.
        plugins: Litestar plugins to add (what they add to every route, such as a guard or
            a middleware, applies to the sync API as to any route).

    Returns:
        The ASGI app.
    """
    logger = configure_logging(settings.log_level)
    domains.install()
    engine = db.make_engine(settings.database)
    db.bind_engine(engine)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        missing = exports.japanese_font_missing()
        if missing:
            # Pages work; a PDF would show boxes for every kana and kanji.
            logger.warning("PDF exports unavailable", extra={"fields": {"why": missing}})
        try:
            await db.start(engine, settings.database)
        except Exception as error:
            # Serve anyway: /health says 503 and a load balancer keeps traffic away.
            logger.error("database start failed", extra={"fields": {"error": type(error).__name__}})
        try:
            yield
        finally:
            await db.stop(engine)

    app = Litestar(
        route_handlers=[
            *sites_routes.ROUTES,
            *work_sessions_routes.ROUTES,
            *headcounts_routes.ROUTES,
            *incidents_routes.ROUTES,
            *sync_routes.ROUTES,
            *client_routes.ROUTES,
            *reconciliation_routes.ROUTES,
            *journal_routes.ROUTES,
            *check_routes.ROUTES,
            *report_routes.ROUTES,
            *reports_routes.ROUTES,
            *dashboard_routes.ROUTES,
            web_routes.health,
            web_routes.set_language,
            *auth_routes.ROUTES,
            *staff_routes.ROUTES,
            create_static_files_router(
                path="/static",
                directories=[STATIC],
                name="static",
                opt={"permission": Permission.PUBLIC},
            ),
        ],
        middleware=[session_middleware, csrf_middleware],
        dependencies={
            "device_mark": Provide(devices.mark_reader, sync_to_thread=False),
            "settings": Provide(lambda: settings, sync_to_thread=False),
        },
        guards=[authorize],
        exception_handlers={
            NotAuthorizedException: web_routes.sign_in_first,
            # Bodies and values Litestar cannot read or that break a declared type.
            HTTP_400_BAD_REQUEST: client_error,
            OpRejected: refused,
            # Every other HTTP error (403, 404 and 405 from the router too) and any failure.
            HTTPException: http_error,
            HTTP_500_INTERNAL_SERVER_ERROR: http_error,
        },
        request_class=AppRequest,
        plugins=[HTMXPlugin(), *plugins],
        after_exception=[log_unhandled],
        template_config=TemplateConfig(
            directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=install_i18n
        ),
        state=State(
            {
                "settings": settings,
                "engine": engine,
                "catalogs": load_catalogs(),
                "mark_hints": MarkHints(),
            }
        ),
        lifespan=[lifespan],
        # Level 6 (zlib's default) for pages; the sync API gzips its own answers at level 1
        # (server.web.json_answer).
        compression_config=CompressionConfig(
            backend="gzip",
            minimum_size=GZIP_MINIMUM,
            gzip_compress_level=GZIP_LEVEL,
            exclude_opt_key=OWN_COMPRESSION,
        ),
        openapi_config=OpenAPIConfig(
            title="Madoguchi",
            version="1",
            path="/schema",
            render_plugins=[DescribedJsonRenderPlugin(sync_routes.DESCRIBED)],
            # The schema is for signed-in clients; no UI plugin (they load scripts from CDNs).
            openapi_router=Router(
                path="/schema", route_handlers=[], opt={"permission": Permission.SIGNED_IN}
            ),
        ),
        debug=settings.debug,
        logging_config=None,
    )
    # Litestar's `middleware=` wraps matched routes only; 404 and 405 come from the router.
    # Wrapping the whole handler gives every response its headers and its log line.
    app.asgi_handler = request_log_middleware(security_headers_middleware(app.asgi_handler))
    return app


SERVER_GC_THRESHOLDS = (50_000, 20, 100)  # gc.set_threshold's, for the server process


def create_app_from_env() -> Litestar:
    """Factory for ``uvicorn --factory``: settings from the environment, read once.

    What start-up made (imported modules, routes, templates, catalogs) lives as long as the
    server process, so it is frozen out of the garbage collector's sight: full collections
    stay short instead of pausing a pull page. Young objects are collected every 50,000
    allocations rather than 700: decoding a push or building a pull page makes thousands,
    nearly all freed by reference counting before a collection would look at them. Both
    serve targets of docs/performance.md (the ledger says which, and how to remove them).
    Only here, not in :func:`create_app`, so a process building many apps (the tests) still
    collects them as usual.
    """
    app = create_app(Settings.from_env())
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVER_GC_THRESHOLDS)
    return app


__all__ = ["create_app", "create_app_from_env"]
