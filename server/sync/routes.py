"""The sync API (devices, push, pull) and the device list for managers."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody, QueryParameter
from litestar.response import Redirect, Template

from server.auth.policy import Permission
from server.auth.schemas import Identity
from server.messages import N_
from server.settings import Settings
from server.sync import devices, keep
from server.sync import pull as pull_service
from server.sync import push as push_service
from server.sync.compression import gzip_request_middleware
from server.sync.intake import read_batch
from server.sync.schemas import DeviceIn, DeviceOut, PullOut, PushOut, SyncError
from server.web.forms import actor_of, explain
from server.web.json_answer import OWN_COMPRESSION, json_answer
from server.web.pages import page, translate

WRITE = {"permission": Permission.FIELD_WRITE}
READ = {"permission": Permission.READ_ALL}
MANAGE = {"permission": Permission.MANAGE_STAFF}
PUSH_LIMIT = 8 * 1024 * 1024


def _explainer(request: Request[Any, Any, Any]) -> push_service.Explain:
    return lambda error: explain(request, error)


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@post("/api/devices", opt=WRITE, status_code=200)
async def register_device(
    request: Request[Any, Identity, Any], data: JSONBody[DeviceIn]
) -> DeviceOut:
    """Registers this browser or tablet; the answer carries its server-issued device id."""
    return await devices.register_device(label=data.label, staff_id=request.user.staff_id)


@post(
    "/api/sync/push",
    opt={**WRITE, OWN_COMPRESSION: True},
    status_code=200,
    request_max_body_size=PUSH_LIMIT,
    middleware=[gzip_request_middleware],
)
async def push(request: Request[Any, Identity, Any]) -> Response[Any]:
    """Applies a device's batch of ops (a ``PushIn``) exactly once; one result per op
    handled. A malformed op is refused alone, in its place."""
    try:
        batch = read_batch(await request.body())
        result: PushOut = await push_service.push(
            batch, actor_of(request), _settings(request).field, explain=_explainer(request)
        )
    except SyncError as error:
        body: dict[str, Any] = {"error": error.code, "message": translate(request, error.message)}
        if error.code == "schema_version":
            body["accepted"] = [1]
        return Response(body, status_code=error.status)
    return json_answer(request, result)


@get("/api/sync/pull", opt={**READ, OWN_COMPRESSION: True})
async def pull(
    request: Request[Any, Identity, Any],
    cursor: Annotated[int, QueryParameter(ge=0)] = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=pull_service.MAX_LIMIT)] = 500,
    device_id: Annotated[str | None, QueryParameter(max_length=devices.DEVICE_ID_LENGTH)] = None,
) -> Response[bytes]:
    """What changed in the caller's scope since ``cursor``, with the next cursor; with
    ``device_id``, that device's high-water mark read in the same snapshot.

    Gzipped at level 1 like a push's answer: a 500-change page is 12.8 KB there and 11.4 KB
    at level 6, which took 1.8 ms instead of 0.6."""
    result: PullOut = await pull_service.pull(
        cursor, limit, actor_of(request), _settings(request).field, device_id
    )
    return json_answer(request, result)


@get("/devices", opt=MANAGE)
async def devices_page(request: Request[Any, Identity, Any]) -> Template:
    """Registered devices, with a revoke button each."""
    return page(request, "sync/devices.html", {"devices": await devices.list_devices()})


@post("/devices/{device_id:str}/revoke", opt=MANAGE)
async def revoke(request: Request[Any, Identity, Any], device_id: FromPath[str]) -> Redirect:
    """Revokes a device: its pushes are refused from now on."""
    await devices.revoke_device(device_id)
    return Redirect("/devices", status_code=303)


UPLOAD_LIMIT = 16 * 1024 * 1024


@get("/sync/upload", opt=WRITE)
async def upload_page(request: Request[Any, Identity, Any]) -> Template:
    """Upload a file of unsent changes exported from a tablet."""
    return page(request, "sync/upload.html")


@post("/sync/upload", opt=WRITE, request_max_body_size=UPLOAD_LIMIT, status_code=200)
async def upload(
    request: Request[Any, Identity, Any],
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Template:
    """Applies an exported file exactly like a push: what already arrived counts once."""
    file = data.get("file")
    error, result, awaiting = "", None, 0
    try:
        if not isinstance(file, UploadFile):
            raise SyncError("file_missing", N_("Choose the exported file."))
        try:
            batch = read_batch(await file.read())
        except SyncError as bad:
            raise SyncError("file_invalid", N_("This is not a Madoguchi export file.")) from bad
        result = await push_service.push(
            batch,
            actor_of(request),
            _settings(request).field,
            explain=_explainer(request),
            upload=True,
        )
        awaiting = await keep.awaiting_review(batch.device_id, result.results)
    except SyncError as refused:
        error = translate(request, refused.message)
    counts: dict[str, int] = {}
    for item in result.results if result else []:
        counts[item.status] = counts.get(item.status, 0) + 1
    return page(
        request,
        "sync/upload.html",
        {"error": error, "result": result, "counts": counts, "awaiting": awaiting},
        status_code=200 if result else 400,
    )


ROUTES = [register_device, push, pull, devices_page, revoke, upload_page, upload]
