"""A push's body read into a :class:`Batch`, op by op when it must be.

The whole batch is decoded in one go when every op is well formed (nearly always). When
one is not, each op is read alone: a malformed op becomes :class:`ops.Unreadable`, refused
with its reason in its place, so the ops around it are still applied. Only a body that is
no batch at all (not JSON, no device, an op without a sequence number) is refused whole.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from server.common.errors import OpRejected
from server.common.text import is_uuid
from server.messages import N_
from server.ops.apply import INVALID
from server.sync import ops
from server.sync.devices import UNKNOWN_DEVICE
from server.sync.keep import masked_json
from server.sync.schemas import Batch, PushIn, SyncError

_PATH = re.compile(r"at `\$(?:\.payload)?\.?([^`]*)`$")
_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_KIND = re.compile("^[a-z_]{1,20}\\.[a-z_]{1,19}$")  # what an op's type tag looks like
_MAX_KEPT = 20_000  # characters of an unreadable op kept for review


class _Loose(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    device_id: Any = None
    schema_version: Any = None
    ops: list[msgspec.Raw] = []


class _Envelope(msgspec.Struct, frozen=True):
    seq: Any = None
    op_id: Any = None
    type: Any = None
    actor_id: Any = None


_TYPED = msgspec.json.Decoder(PushIn)
_LOOSE = msgspec.json.Decoder(_Loose)
_OP = msgspec.json.Decoder(ops.Op)
_ANY = msgspec.json.Decoder()
NOT_A_BATCH = N_("This is not a batch of changes.")


def read_batch(body: bytes) -> Batch:
    """Read a push's JSON body.

    Raises:
        SyncError: Not JSON, or no batch (``body_invalid``, 400).
    """
    try:
        pushed = _TYPED.decode(body)
        return Batch(
            device_id=pushed.device_id, schema_version=pushed.schema_version, ops=pushed.ops
        )
    except msgspec.ValidationError:
        # Some part is malformed: read op by op. The type broken first may come before a
        # byte that is not UTF-8, which the op-by-op reading must not meet either.
        if not _is_utf8(body):
            body = _nul_for_bad_bytes(body)
    except UnicodeDecodeError:
        body = _nul_for_bad_bytes(body)
    except (msgspec.DecodeError, RecursionError) as error:
        if not _LONE_SURROGATE.search(body):
            raise SyncError("body_invalid", NOT_A_BATCH) from error
        # JavaScript writes a lone surrogate (a string cut mid-pair) as its escape, which
        # no decoder takes: as a NUL it is refused like any control character, in its op.
        body = _LONE_SURROGATE.sub(_as_nul, body)
    try:
        loose = _LOOSE.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as error:
        raise SyncError("body_invalid", NOT_A_BATCH) from error
    if not is_uuid(loose.device_id):
        raise SyncError("device_unknown", UNKNOWN_DEVICE, 403)
    if not isinstance(loose.schema_version, int) or isinstance(loose.schema_version, bool):
        raise SyncError("body_invalid", NOT_A_BATCH)
    return Batch(
        device_id=loose.device_id,
        schema_version=loose.schema_version,
        ops=[_read_op(raw) for raw in loose.ops],
    )


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _nul_for_bad_bytes(body: bytes) -> bytes:
    """``body`` with each byte that is not UTF-8 written as a NUL's escape: inside a string
    (where a device's text is) it is then refused like a control character, in its op."""
    text = body.decode("utf-8", "surrogateescape")
    return _ESCAPED_BYTE.sub("\\\\u0000", text).encode("utf-8")


def _as_nul(_: re.Match[bytes]) -> bytes:
    return b"\\u0000"


def _read_op(raw: msgspec.Raw) -> ops.Op | ops.Unreadable:
    try:
        op: ops.Op = _OP.decode(raw)
        return op
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError) as error:
        problem = str(error) if isinstance(error, msgspec.ValidationError) else "unreadable"
    try:
        envelope = msgspec.json.decode(raw, type=_Envelope)
        kept = masked_json(_ANY.decode(raw))[:_MAX_KEPT]
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        envelope, kept = _Envelope(), ""
    seq = envelope.seq
    return ops.Unreadable(
        seq=seq if isinstance(seq, int) and not isinstance(seq, bool) and seq > 0 else 0,
        op_id=envelope.op_id if is_uuid(envelope.op_id) else None,
        actor_id=envelope.actor_id if _is_id(envelope.actor_id) else None,
        kind=envelope.type if isinstance(envelope.type, str) and _KIND.match(envelope.type) else "",
        reason=problem,
        text=kept,
    )


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def refusal(op: ops.Unreadable) -> OpRejected:
    """Why ``op`` was refused, naming the field msgspec found at fault."""
    found = _PATH.search(op.reason)
    field = found.group(1) if found else ""
    return OpRejected("invalid", INVALID, field=field or None, where=field or "-")
