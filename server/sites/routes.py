"""Site pages: the public home page, and the sites and outreach venues managers keep."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from server.auth.policy import Permission, allows
from server.auth.schemas import Identity
from server.common.text import FreeText
from server.messages import N_
from server.sites import service
from server.sync import ops
from server.web.form_fields import FormChoice
from server.web.forms import PathId, on_form, submit
from server.web.pages import page, translate

READ = {"permission": Permission.READ_ALL}
MANAGE = {"permission": Permission.MANAGE_SITES}
Form = Body(media_type=RequestEncodingType.URL_ENCODED)

VENUE_KINDS: tuple[str, ...] = ("university", "commercial", "community_hall", "other")
NOTICES: dict[str, str] = {
    "added": N_("The venue was added."),
    "retired": N_("The venue was retired. Its records are kept."),
}


class VenueForm(msgspec.Struct):
    """The add-venue form (every field a string, as browsers send them)."""

    name_ja: FreeText = ""
    name_en: FreeText = ""
    address: FreeText = ""
    venue_kind: FormChoice = ""
    notes: FreeText = ""


@get("/", opt={"permission": Permission.PUBLIC})
async def home(request: Request[Any, Any, Any]) -> Template:
    """Home page: the sites, fixed ones first."""
    return page(request, "sites/index.html", {"sites": await service.list_sites()})


async def _sites_page(
    request: Request[Any, Identity, Any],
    *,
    form: VenueForm | None = None,
    errors: dict[str, str] | None = None,
    retire_errors: dict[int, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> Template:
    sites = await service.list_sites(include_retired=True)
    errors = on_form(errors or {}, VenueForm.__struct_fields__)
    retire_errors = dict(retire_errors or {})
    for site_id in set(retire_errors) - {s.id for s in sites}:
        errors["_"] = retire_errors.pop(site_id)  # no card to show it on
    context = {
        "fixed_sites": [s for s in sites if s.kind != "outreach_venue"],
        "venues": [s for s in sites if s.kind == "outreach_venue" and s.active],
        "retired": [s for s in sites if s.kind == "outreach_venue" and not s.active],
        "venue_kinds": VENUE_KINDS,
        "can_manage": allows(Permission.MANAGE_SITES, request.user.role),
        "form": form or VenueForm(venue_kind="university"),
        "errors": errors,
        "retire_errors": retire_errors,
        "notice": notice,
    }
    return page(request, "sites/venues.html", context, status_code=status)


@get("/sites", opt=READ)
async def sites_page(
    request: Request[Any, Identity, Any], done: FromQuery[str | None] = None
) -> Template:
    """Fixed sites, outreach venues and retired venues; managers also add and retire venues."""
    return await _sites_page(request, notice=NOTICES.get(done or "", ""))


@post("/sites/venues", opt=MANAGE)
async def add_venue(
    request: Request[Any, Identity, Any], data: Annotated[VenueForm, Form]
) -> Template | Redirect:
    """Adds an outreach venue (op ``site.add_venue``), then shows the list again."""
    if data.venue_kind not in VENUE_KINDS:
        return await _sites_page(
            request,
            form=data,
            errors={"venue_kind": translate(request, N_("Choose the kind of venue."))},
            status=422,
        )
    op = ops.SiteAddVenue(
        payload=ops.AddVenue(
            name_ja=data.name_ja,
            name_en=data.name_en,
            address=data.address,
            venue_kind=data.venue_kind,  # type: ignore[arg-type] # checked above
            notes=data.notes,
        )
    )
    applied, errors = await submit(request, op)
    if applied is None:
        return await _sites_page(request, form=data, errors=errors, status=422)
    return Redirect(f"/sites?done=added#site-{applied.entity_id}", status_code=303)


@post("/sites/{site_id:int}/retire", opt=MANAGE)
async def retire_venue(
    request: Request[Any, Identity, Any], site_id: PathId
) -> Template | Redirect:
    """Retires an outreach venue (op ``site.retire``); it is kept, never deleted."""
    applied, errors = await submit(
        request, ops.SiteRetire(payload=ops.RetireVenue(site_id=site_id))
    )
    if applied is None:
        message = next(iter(errors.values()))
        return await _sites_page(request, retire_errors={site_id: message}, status=422)
    return Redirect("/sites?done=retired", status_code=303)


ROUTES = [home, sites_page, add_venue, retire_venue]
