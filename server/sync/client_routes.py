"""The offline client's entry points: the service worker at the site root."""

from __future__ import annotations

from pathlib import Path

from litestar import Response, get

from server.auth.policy import Permission

STATIC = Path(__file__).resolve().parent.parent.parent / "static"


@get("/sw.js", opt={"permission": Permission.PUBLIC}, include_in_schema=False)
async def service_worker() -> Response[bytes]:
    """The service worker, served from the root so it controls every page.

    ``no-cache``: browsers check for a new version on every navigation.
    """
    return Response(
        (STATIC / "sw.js").read_bytes(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


ROUTES = [service_worker]
