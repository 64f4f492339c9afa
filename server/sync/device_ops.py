"""Device ops: registering a tablet or browser and revoking it, made by the server (never
synced) and applied on the one write path, so each lands in the audit log."""

from __future__ import annotations

from server.common.text import FreeText, Uuid
from server.ops.envelope import OpBase, Payload


class RegisterDevice(Payload, frozen=True, kw_only=True):
    """``device.register``: a device gets its server-issued id (``uid``)."""

    uid: Uuid
    label: FreeText = ""


class RevokeDevice(Payload, frozen=True, kw_only=True):
    """``device.revoke``: the device's pushes are refused from now on."""

    uid: Uuid


class DeviceRegister(OpBase, frozen=True, tag="device.register"):
    """Op: register a device."""

    payload: RegisterDevice


class DeviceRevoke(OpBase, frozen=True, tag="device.revoke"):
    """Op: revoke a device."""

    payload: RevokeDevice
