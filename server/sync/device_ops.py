"""Device ops: registering a tablet or browser, naming it and revoking it, made by the server
(never synced) and applied on the one write path, so each lands in the audit log."""

from __future__ import annotations

from server.common.text import FreeText, Id, Uuid
from server.ops.envelope import OpBase, Payload


class RegisterDevice(Payload, frozen=True, kw_only=True):
    """``device.register``: a device gets its server-issued id (``uid``) and its name:
    ``label``, or else the site of the field page that registered it and the next free
    number there."""

    uid: Uuid
    label: FreeText = ""
    site_id: Id | None = None


class RenameDevice(Payload, frozen=True, kw_only=True):
    """``device.rename``: a manager names the device (as written on the tablet)."""

    uid: Uuid
    label: FreeText


class RevokeDevice(Payload, frozen=True, kw_only=True):
    """``device.revoke``: the device's pushes are refused from now on."""

    uid: Uuid


class DeviceRegister(OpBase, frozen=True, tag="device.register"):
    """Op: register a device."""

    payload: RegisterDevice


class DeviceRename(OpBase, frozen=True, tag="device.rename"):
    """Op: rename a device."""

    payload: RenameDevice


class DeviceRevoke(OpBase, frozen=True, tag="device.revoke"):
    """Op: revoke a device."""

    payload: RevokeDevice
