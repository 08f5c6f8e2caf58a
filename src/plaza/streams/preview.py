"""A sensor's public preview: the times of its last readings, never their values.

Every few readings the sensor files the times of the latest ones under a tag derived
from its channel id, issued by its channel key (which its announcement already names,
so the preview links nothing new)::

    tag  = BLAKE2b-256(channel_id, person="plaza-stream-prv")
    data = 0x01 || count u8 (1..32) || published_at_ms u64 * count     (oldest first)

A sensor page shows them, so a buyer sees that the sensor is alive and how often it
reads before paying; the readings themselves stay in the restricted channel.
"""

from __future__ import annotations

import struct

from plaza.crypto import blake2b
from plaza.streams.errors import InvalidMemo

__all__ = ["MAX_PREVIEW", "decode_preview", "encode_preview", "preview_tag"]

MAX_PREVIEW = 32
_VERSION = 1


def preview_tag(channel_id: bytes) -> bytes:
    """Where a sensor files its previews (one lookup finds the latest)."""
    return blake2b(channel_id, person=b"plaza-stream-prv")


def encode_preview(times_ms: list[int]) -> bytes:
    """The preview of the last readings' times (at most :data:`MAX_PREVIEW`, oldest first)."""
    shown = times_ms[-MAX_PREVIEW:]
    if not shown:
        raise ValueError("a preview shows at least one reading's time")
    return bytes([_VERSION, len(shown)]) + struct.pack(f"<{len(shown)}Q", *shown)


def decode_preview(data: bytes) -> list[int]:
    """The times a preview shows; :class:`InvalidMemo` if it is not one."""
    if len(data) < 2 or data[0] != _VERSION or not 0 < data[1] <= MAX_PREVIEW:
        raise InvalidMemo("a preview is 0x01, a count of 1 to 32 and that many times")
    count = data[1]
    if len(data) != 2 + 8 * count:
        raise InvalidMemo("a preview's length disagrees with its count")
    return list(struct.unpack(f"<{count}Q", data[2:]))
