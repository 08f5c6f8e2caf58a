"""A device's picture: the seed's "Device image" on its "Add a new device" form.

The user module keeps it with the device (removed with it) and shows it to the device's
owner only. It is told apart by its first bytes, never by the file's name or the type a
browser claims, and only the raster formats a browser shows safely are taken (PNG, JPEG,
GIF, WebP: no SVG, which can carry script); it is served back with the type found here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from plaza.energy.errors import InvalidMessage, UnknownRecord
from plaza.energy.owner.records import Device

__all__ = ["MAX_IMAGE_BYTES", "DeviceImage", "DeviceImages", "ImageStore"]

#: A photo of a device, not a poster: the module's file stays small.
MAX_IMAGE_BYTES = 256 * 1024
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def _media_type(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)


@dataclass(frozen=True, slots=True)
class DeviceImage:
    """A checked picture and the type its bytes are."""

    media_type: str
    data: bytes

    @classmethod
    def of(cls, data: bytes) -> DeviceImage:
        """The picture in ``data``; :class:`InvalidMessage` naming ``image`` otherwise."""
        if not data:
            raise InvalidMessage("image is an empty file")
        if len(data) > MAX_IMAGE_BYTES:
            limit = f"{MAX_IMAGE_BYTES // 1024} KiB"
            raise InvalidMessage(f"image is {len(data):,} bytes; at most {limit} is taken")
        media_type = _media_type(data)
        if media_type is None:
            raise InvalidMessage("image must be a PNG, JPEG, GIF or WebP picture")
        return cls(media_type, data)


class ImageStore(Protocol):
    """The part of the owner store pictures need (``OwnerStore`` has it)."""

    def device(self, device_id: str) -> Device | None: ...

    def set_device_image(self, device_id: str, image: DeviceImage | None) -> None: ...

    def device_image(self, device_id: str) -> DeviceImage | None: ...


class DeviceImages:
    """Devices' pictures, each only for its owner."""

    def __init__(self, store: ImageStore) -> None:
        self._store = store

    def _owned(self, owner_id: str, device_id: str) -> Device:
        device = self._store.device(device_id)
        if device is None or device.owner_id != owner_id:
            raise UnknownRecord(f"no device {device_id!r} of this owner")
        return device

    def put(self, owner_id: str, device_id: str, image: DeviceImage | None) -> None:
        """Keep ``image`` as the device's picture; None takes the picture away."""
        self._store.set_device_image(self._owned(owner_id, device_id).id, image)

    def get(self, owner_id: str, device_id: str) -> DeviceImage | None:
        """The device's picture, if it has one."""
        return self._store.device_image(self._owned(owner_id, device_id).id)
