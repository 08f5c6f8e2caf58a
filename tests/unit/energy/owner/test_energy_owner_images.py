"""A device's picture is told by its bytes, bounded in size, and shown to its owner only."""

from __future__ import annotations

import pytest

from plaza.energy.errors import InvalidMessage, UnknownRecord
from plaza.energy.owner.images import MAX_IMAGE_BYTES, DeviceImage, DeviceImages
from plaza.energy.owner.memory import MemoryOwnerStore
from plaza.energy.owner.records import Device, DeviceSettings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 16, "image/jpeg"),
        (b"GIF89a" + b"\x00" * 16, "image/gif"),
        (WEBP, "image/webp"),
    ],
)
def test_a_picture_is_known_by_its_first_bytes(data: bytes, media_type: str) -> None:
    assert DeviceImage.of(data) == DeviceImage(media_type, data)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "PNG, JPEG, GIF or WebP"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "PNG, JPEG, GIF or WebP"),
        (PNG + b"\x00" * MAX_IMAGE_BYTES, "at most 256 KiB"),
    ],
)
def test_anything_else_is_refused_naming_the_image(data: bytes, says: str) -> None:
    with pytest.raises(InvalidMessage, match=says) as refused:
        DeviceImage.of(data)
    assert refused.value.message.startswith("image ")


def test_only_the_devices_owner_keeps_or_sees_its_picture() -> None:
    store = MemoryOwnerStore()
    store.add_owner("o1", "Ada", b"\x5a" * 32, 0)
    store.add_owner("o2", "Bo", b"\x5b" * 32, 0)
    form = {"type": "provider", "name": "roof", "uuid": "u-1", "url": "http://roof.test"}
    settings = DeviceSettings.from_form({**form, "energyPrice": 20, "minOfferAmount": 200})
    store.add_device(Device("d1", "o1", settings, "key", "wallet", 0, 0))
    images = DeviceImages(store)
    picture = DeviceImage.of(PNG)
    with pytest.raises(UnknownRecord):
        images.put("o2", "d1", picture)
    assert store.device_image("d1") is None
    images.put("o1", "d1", picture)
    assert images.get("o1", "d1") == picture
    with pytest.raises(UnknownRecord):
        images.get("o2", "d1")
    with pytest.raises(UnknownRecord):
        images.get("o1", "no-such-device")
