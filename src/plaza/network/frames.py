"""The peering protocol's frames: one WebSocket binary message each, ``type u8 || body``.

Integers are little-endian, ids 32 bytes, as in the ledger's own encoding
(``docs/protocol.md``, section Peering).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from plaza.encoding import ByteReader, EncodingError, Writer
from plaza.ledger.model import ID_SIZE, KEY_SIZE, MAX_PAYLOAD_SIZE, SIGNATURE_SIZE
from plaza.network.errors import BadFrame

__all__ = [
    "MAX_FRAME_SIZE",
    "MAX_IDS_PER_REQUEST",
    "Accept",
    "Challenge",
    "Frame",
    "FrameType",
    "MessageFrame",
    "Request",
    "RequestMilestones",
    "Response",
    "Status",
    "decode_frame",
    "encode_frame",
]

MAX_IDS_PER_REQUEST = 64
MAX_MILESTONES_PER_REQUEST = 32
MAX_STATUS_TIPS = 8
NONCE_SIZE = 32
#: The largest message plus headroom; anything bigger is a misbehaving peer.
MAX_FRAME_SIZE = MAX_PAYLOAD_SIZE + 4096


class FrameType(enum.IntEnum):
    CHALLENGE = 1
    RESPONSE = 2
    ACCEPT = 3
    MESSAGE = 16
    REQUEST = 17
    REQUEST_MILESTONES = 18
    STATUS = 19


@dataclass(frozen=True, slots=True)
class Challenge:
    """Sent by the accepting node first: who it is and what the dialer must sign."""

    network_id: int
    public_key: bytes
    nonce: bytes


@dataclass(frozen=True, slots=True)
class Response:
    """The dialer's identity, its signature over the challenge, and its own nonce."""

    public_key: bytes
    nonce: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class Accept:
    """The accepting node's signature over the dialer's nonce: now both are authenticated."""

    signature: bytes


@dataclass(frozen=True, slots=True)
class MessageFrame:
    raw: bytes


@dataclass(frozen=True, slots=True)
class Request:
    """Send me these messages (missing parents, unknown tips)."""

    ids: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class RequestMilestones:
    """Send me the milestone messages ``start`` to ``start + count - 1``."""

    start: int
    count: int


@dataclass(frozen=True, slots=True)
class Status:
    """Where a node is: its latest milestone and a few tips, sent every status interval."""

    latest_index: int
    latest_id: bytes
    tips: tuple[bytes, ...]


Frame = Challenge | Response | Accept | MessageFrame | Request | RequestMilestones | Status


def encode_frame(frame: Frame) -> bytes:
    writer = Writer()
    match frame:
        case Challenge(network_id=network_id, public_key=key, nonce=nonce):
            writer.u8(FrameType.CHALLENGE).u32(network_id).raw(key).raw(nonce)
        case Response(public_key=key, nonce=nonce, signature=signature):
            writer.u8(FrameType.RESPONSE).raw(key).raw(nonce).raw(signature)
        case Accept(signature=signature):
            writer.u8(FrameType.ACCEPT).raw(signature)
        case MessageFrame(raw=raw):
            writer.u8(FrameType.MESSAGE).raw(raw)
        case Request(ids=ids):
            writer.u8(FrameType.REQUEST).u8(len(ids)).raw(b"".join(ids))
        case RequestMilestones(start=start, count=count):
            writer.u8(FrameType.REQUEST_MILESTONES).u32(start).u8(count)
        case Status(latest_index=index, latest_id=latest, tips=tips):
            writer.u8(FrameType.STATUS).u32(index).raw(latest).u8(len(tips)).raw(b"".join(tips))
    return writer.getvalue()


def decode_frame(data: bytes) -> Frame:
    """Decode one frame, raising :class:`BadFrame` for anything but a canonical frame."""
    if len(data) > MAX_FRAME_SIZE:
        raise BadFrame(f"{len(data)} bytes exceed the {MAX_FRAME_SIZE}-byte limit")
    try:
        return _decode(ByteReader(data))
    except EncodingError as error:
        raise BadFrame(str(error)) from None


def _decode(reader: ByteReader) -> Frame:
    kind = reader.u8("frame type")
    frame: Frame
    if kind == FrameType.MESSAGE:
        return MessageFrame(reader.rest())
    if kind == FrameType.CHALLENGE:
        frame = Challenge(reader.u32(), reader.raw(KEY_SIZE), reader.raw(NONCE_SIZE))
    elif kind == FrameType.RESPONSE:
        frame = Response(reader.raw(KEY_SIZE), reader.raw(NONCE_SIZE), reader.raw(SIGNATURE_SIZE))
    elif kind == FrameType.ACCEPT:
        frame = Accept(reader.raw(SIGNATURE_SIZE))
    elif kind == FrameType.REQUEST:
        frame = Request(_ids(reader, MAX_IDS_PER_REQUEST))
    elif kind == FrameType.REQUEST_MILESTONES:
        start, count = reader.u32(), reader.u8()
        if not 1 <= count <= MAX_MILESTONES_PER_REQUEST:
            raise BadFrame(f"asks for {count} milestones, 1 to {MAX_MILESTONES_PER_REQUEST}")
        frame = RequestMilestones(start, count)
    elif kind == FrameType.STATUS:
        frame = Status(reader.u32(), reader.raw(ID_SIZE), _ids(reader, MAX_STATUS_TIPS))
    else:
        raise BadFrame(f"unknown frame type {kind}")
    reader.expect_end("frame")
    return frame


def _ids(reader: ByteReader, limit: int) -> tuple[bytes, ...]:
    count = reader.u8("id count")
    if count > limit:
        raise BadFrame(f"{count} ids, at most {limit}")
    return tuple(reader.raw(ID_SIZE, "id") for _ in range(count))
