"""The sync API (devices, push, pull) and the device list for managers."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request, asgi, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import MethodNotAllowedException, ValidationException
from litestar.params import Body, FromPath, JSONBody, QueryParameter
from litestar.response import Redirect, Template
from litestar.types import Receive, Scope, Send

from server.auth.policy import Permission
from server.auth.schemas import Identity
from server.common.dates import long_moment
from server.common.text import FreeText
from server.messages import N_
from server.settings import Settings
from server.sync import devices, keep
from server.sync import pull as pull_service
from server.sync import push as push_service
from server.sync import receive as receiving
from server.sync.compression import read_body
from server.sync.device_ops import DeviceRename, RenameDevice
from server.sync.intake import read_batch
from server.sync.schemas import DeviceIn, DeviceOut, PullOut, PushIn, PushOut, SyncError
from server.web.dependencies import AppSettings
from server.web.form_fields import Form
from server.web.forms import actor_of, explain, on_form, submit
from server.web.json_answer import OWN_COMPRESSION, send_answer
from server.web.pages import page, request_language, translate

WRITE = {"permission": Permission.FIELD_WRITE}
READ = {"permission": Permission.READ_ALL}
MANAGE = {"permission": Permission.MANAGE_STAFF}
PUSH_LIMIT = 8 * 1024 * 1024
MAX_CURSOR = 2**63 - 1  # the audit log's seq is a bigint


def _explainer(request: Request[Any, Any, Any]) -> push_service.Explain:
    return lambda error: explain(request, error)


def _settings(request: Request[Any, Any, Any]) -> Settings:
    """The app's settings for the ASGI routes, which get no injected dependencies."""
    settings: Settings = request.app.state.settings
    return settings


@post("/api/devices", opt=WRITE, status_code=200)
async def register_device(
    request: Request[Any, Identity, Any], data: JSONBody[DeviceIn], settings: AppSettings
) -> DeviceOut:
    """Registers this browser or tablet; the answer carries its server-issued device id
    and its name."""
    return await devices.register_device(
        label=data.label, site_id=data.site_id, actor=actor_of(request), field=settings.field
    )


def _only(scope: Scope, method: str) -> None:
    """Refuse any other method, as Litestar's router does for a typed route."""
    if scope["type"] != ScopeType.HTTP or scope["method"] != method:
        raise MethodNotAllowedException(headers={"allow": method})


@asgi("/api/sync/push", opt={**WRITE, OWN_COMPRESSION: True}, copy_scope=False)
async def push(scope: Scope, receive: Receive, send: Send) -> None:
    """Applies a device's batch of ops (a ``PushIn``) exactly once; one result per op
    handled. A malformed op is refused alone, in its place.

    An ASGI route handler, behind the app's middleware and guards like every route: it
    reads the body and writes the answer itself, without Litestar's parameter and response
    machinery, which cost more than a small batch's own work."""
    _only(scope, "POST")
    request: Request[Any, Identity, Any] = Request(scope, receive)
    body = await read_body(scope, receive, PUSH_LIMIT)
    accept_encoding = request.headers.get("accept-encoding", "")
    try:
        result: PushOut = await receiving.receive(
            body,
            actor_of(request),
            _settings(request).field,
            _explainer(request),
            request.app.state.mark_hints,
        )
    except SyncError as error:
        refusal: dict[str, Any] = {
            "error": error.code,
            "message": translate(request, error.message),
        }
        if error.code == "schema_version":
            refusal["accepted"] = [1]
        await send_answer(send, refusal, accept_encoding, error.status)
        return
    await send_answer(send, result, accept_encoding)


@asgi("/api/sync/pull", opt={**READ, OWN_COMPRESSION: True}, copy_scope=False)
async def pull(scope: Scope, receive: Receive, send: Send) -> None:
    """What changed in the caller's scope since ``cursor``, with the next cursor; with
    ``device_id``, that device's high-water mark read in the same snapshot.

    An ASGI route handler like :func:`push`; its query is read by :func:`pull_query`."""
    _only(scope, "GET")
    query = pull_query(scope["query_string"])
    request: Request[Any, Identity, Any] = Request(scope, receive)
    result: PullOut = await pull_service.pull(
        query.cursor, query.limit, actor_of(request), _settings(request).field, query.device_id
    )
    await send_answer(send, result, request.headers.get("accept-encoding", ""))


class PullQuery(msgspec.Struct, frozen=True):
    """A pull's query: where to start, how many changes at most, and the asking device."""

    cursor: Annotated[int, msgspec.Meta(ge=0, le=MAX_CURSOR)] = 0
    limit: Annotated[int, msgspec.Meta(ge=1, le=pull_service.MAX_LIMIT)] = 500
    device_id: Annotated[str, msgspec.Meta(max_length=devices.DEVICE_ID_LENGTH)] | None = None


_PULL_FIELDS = frozenset(PullQuery.__struct_fields__)


def pull_query(raw: bytes) -> PullQuery:
    """The query of a pull, each value as Litestar reads a typed query parameter (other
    parameters ignored).

    Raises:
        ValidationException: A value of the wrong type or out of range, naming it.
    """
    given = {
        name: value  # the last of a name given twice, as Litestar reads it
        for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True, separator="&")
        if name in _PULL_FIELDS
    }
    try:
        return msgspec.convert(given, PullQuery, strict=False)
    except msgspec.ValidationError as error:
        key = str(error).rpartition("$.")[2].rstrip("`")
        raise ValidationException(
            detail="Validation failed for GET /api/sync/pull",
            extra=[{"message": str(error), "key": key, "source": "query"}],
        ) from error


@post(
    "/api/sync/push",
    status_code=200,
    request_max_body_size=PUSH_LIMIT,
    summary="Push",
    operation_id="ApiSyncPushPush",
)
async def push_described(data: JSONBody[PushIn]) -> PushOut:
    """Applies a device's batch of ops exactly once; one result per op handled. A malformed
    op is refused alone, in its place. Gzip bodies (``Content-Encoding: gzip``) are read."""
    raise NotImplementedError  # never served: :func:`push` answers


@get("/api/sync/pull", summary="Pull", operation_id="ApiSyncPullPull")
async def pull_described(
    cursor: Annotated[int, QueryParameter(ge=0, le=MAX_CURSOR)] = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=pull_service.MAX_LIMIT)] = 500,
    device_id: Annotated[str | None, QueryParameter(max_length=devices.DEVICE_ID_LENGTH)] = None,
) -> dict[str, Any]:
    """What changed in the caller's scope since ``cursor`` (a ``PullOut``), with the next
    cursor; with ``device_id``, that device's high-water mark read in the same snapshot."""
    raise NotImplementedError  # never served: :func:`pull` answers


# Litestar's schema leaves ASGI route handlers out; these typed twins describe them there.
DESCRIBED = [push_described, pull_described]


class RenameForm(msgspec.Struct):
    """A device's rename form on the device list."""

    label: FreeText = ""


async def _devices_page(
    request: Request[Any, Identity, Any],
    *,
    failed: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    language = request_language(request)
    listed = await devices.devices_seen()
    errors = on_form(errors or {}, RenameForm.__struct_fields__)
    if failed not in {item.device.device_id for item in listed}:
        failed = ""  # no card to show the refusal on: above the list
    context = {
        "devices": listed,
        "failed": failed,
        "errors": errors,
        "shown": lambda moment: long_moment(moment, language),
    }
    return page(request, "sync/devices.html", context, status_code=status)


@get("/devices", opt=MANAGE)
async def devices_page(request: Request[Any, Identity, Any]) -> Template:
    """Registered devices: each one's name, who used it last and when; rename, revoke."""
    return await _devices_page(request)


@post("/devices/{device_id:str}/rename", opt=MANAGE)
async def rename(
    request: Request[Any, Identity, Any],
    device_id: FromPath[str],
    data: Annotated[RenameForm, Form],
) -> Template | Redirect:
    """Renames a device (op ``device.rename``), as written on the tablet."""
    op = DeviceRename(payload=RenameDevice(uid=device_id, label=data.label))
    applied, errors = await submit(request, op)
    if applied is None:
        return await _devices_page(request, failed=device_id, errors=errors, status=422)
    return Redirect(f"/devices#device-{device_id}", status_code=303)


@post("/devices/{device_id:str}/revoke", opt=MANAGE)
async def revoke(
    request: Request[Any, Identity, Any], device_id: FromPath[str], settings: AppSettings
) -> Redirect:
    """Revokes a device: its pushes are refused from now on."""
    await devices.revoke_device(device_id, actor=actor_of(request), field=settings.field)
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
    settings: AppSettings,
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
            settings.field,
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


ROUTES = [register_device, push, pull, devices_page, rename, revoke, upload_page, upload]
