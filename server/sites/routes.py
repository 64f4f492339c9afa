"""Site pages: the public home page, and the sites and outreach venues managers keep (each
fixed site's opening calendar: :mod:`server.sites.calendar_routes`)."""

from __future__ import annotations

import typing
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from server.auth.policy import Permission
from server.common.labels import VENUE_SERVICE_LABELS
from server.common.text import FreeText
from server.messages import N_
from server.sites import calendar_routes, ops, service
from server.web.form_fields import Form, FormChoice
from server.web.forms import PathId, on_form, submit, submit_form
from server.web.pages import SignedInRequest, page

READ = {"permission": Permission.READ_ALL}
MANAGE = {"permission": Permission.MANAGE_SITES}

# The choices the form offers, in its order: the op's own.
VENUE_KINDS: tuple[str, ...] = typing.get_args(typing.get_type_hints(ops.AddVenue)["venue_kind"])
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
    venue_service: FormChoice = "reception"
    notes: FreeText = ""


NEW_VENUE_MESSAGES = {
    "venue_kind": N_("Choose the kind of venue."),
    "venue_service": N_("Choose what is done at the venue."),
}


@get("/", opt={"permission": Permission.PUBLIC})
async def home(request: Request[Any, Any, Any]) -> Template:
    """Home page: the sites, fixed ones first."""
    return page(request, "sites/index.html", {"sites": await service.list_sites()})


async def _sites_page(
    request: SignedInRequest,
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
        "venue_service_labels": VENUE_SERVICE_LABELS,
        "form": form or VenueForm(venue_kind="university"),
        "errors": errors,
        "retire_errors": retire_errors,
        "notice": notice,
    }
    return page(request, "sites/venues.html", context, status_code=status)


@get("/sites", opt=READ)
async def sites_page(request: SignedInRequest, done: FromQuery[str | None] = None) -> Template:
    """Fixed sites, outreach venues and retired venues; managers also add and retire venues."""
    return await _sites_page(request, notice=NOTICES.get(done or "", ""))


@post("/sites/venues", opt=MANAGE)
async def add_venue(
    request: SignedInRequest, data: Annotated[VenueForm, Form]
) -> Template | Redirect:
    """Adds an outreach venue (op ``site.add_venue``), then shows the list again."""
    applied, errors = await submit_form(
        request, data, ops.AddVenue, NEW_VENUE_MESSAGES, ops.SiteAddVenue
    )
    if applied is None:
        return await _sites_page(request, form=data, errors=errors, status=422)
    return Redirect(f"/sites?done=added#site-{applied.entity_id}", status_code=303)


@post("/sites/{site_id:int}/retire", opt=MANAGE)
async def retire_venue(request: SignedInRequest, site_id: PathId) -> Template | Redirect:
    """Retires an outreach venue (op ``site.retire``); it is kept, never deleted."""
    applied, errors = await submit(
        request, ops.SiteRetire(payload=ops.RetireVenue(site_id=site_id))
    )
    if applied is None:
        message = next(iter(errors.values()))
        return await _sites_page(request, retire_errors={site_id: message}, status=422)
    return Redirect("/sites?done=retired", status_code=303)


ROUTES = [home, sites_page, add_venue, retire_venue, *calendar_routes.ROUTES]
