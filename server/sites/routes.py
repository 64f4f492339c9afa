"""Site pages."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from server.auth.policy import Permission
from server.sites import service
from server.web.pages import page


@get("/", opt={"permission": Permission.PUBLIC})
async def home(request: Request[Any, Any, Any]) -> Template:
    """Home page: the sites, fixed ones first."""
    return page(request, "sites/index.html", {"sites": await service.list_sites()})
