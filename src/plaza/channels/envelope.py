"""Channel records: what the owner signs, how it is encrypted, how a reader checks it.

::

    record   = kind u8 || published_at_ms u64 || content_len u32 || content
               || signature 64 || zero padding to a multiple of 64 bytes
    signed   = "plaza-chan-msg-v1" || channel_id 32 || position u64 || epoch u32
               || kind u8 || published_at_ms u64 || BLAKE2b-256(content)
    AD       = "plaza-chan-ad-v1" || channel_id 32 || position u64 || epoch u32
    envelope = record                                   (public)
             = XChaCha20-Poly1305(key, record, AD)      (private, restricted)

The owner's signature sits inside the envelope, so an encrypted message shows
neither who made it nor which channel it belongs to; binding channel, position
and epoch in both the signature and the AEAD's associated data means a message
copied to another position, epoch or channel fails to open. Padding hides the
content length to within 64 bytes.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from plaza.channels.chain import ChainPoint, channel_id
from plaza.channels.errors import ContentTooLarge, InvalidChannelData
from plaza.channels.model import ChannelMode
from plaza.crypto import (
    DecryptionFailed,
    PublicKey,
    SigningKey,
    aead_decrypt,
    aead_encrypt,
    blake2b_256,
    verify_signature,
)
from plaza.crypto.sealed import AEAD_NONCE_SIZE, AEAD_TAG_SIZE
from plaza.ledger.codec import SIGNING_DOMAIN
from plaza.ledger.model import MAX_PAYLOAD_SIZE, DataPayload, Message

__all__ = [
    "MAX_CONTENT_SIZE",
    "Attempt",
    "Opened",
    "Record",
    "RecordKind",
    "Refused",
    "Slot",
    "associated_data",
    "check_record",
    "decode_record",
    "encode_record",
    "expected_issuer",
    "open_message",
    "seal_record",
    "sign_record",
]

RECORD_DOMAIN = b"plaza-chan-msg-v1"
AD_DOMAIN = b"plaza-chan-ad-v1"
PAD_TO = 64
SIGNATURE_SIZE = 64
_HEAD = struct.Struct("<BQI")  # kind, published_at_ms, content_len
_TAG_FIELD = 1 + 32  # a channel tag: length byte and 32 bytes
_AEAD_OVERHEAD = AEAD_NONCE_SIZE + AEAD_TAG_SIZE
_MAX_RECORD = (MAX_PAYLOAD_SIZE - _TAG_FIELD - _AEAD_OVERHEAD) // PAD_TO * PAD_TO
#: The most content one channel message can carry (32,563 bytes).
MAX_CONTENT_SIZE = _MAX_RECORD - _HEAD.size - SIGNATURE_SIZE


class RecordKind(enum.IntEnum):
    DATA = 1  # the owner's content
    KEYS = 2  # a restricted channel's new key epoch (see :mod:`plaza.channels.epochs`)


@dataclass(frozen=True, slots=True, repr=False)
class Record:
    kind: RecordKind
    published_at_ms: int
    content: bytes
    signature: bytes

    def __repr__(self) -> str:
        return f"Record({self.kind.name}, {len(self.content)} bytes)"


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a record sits: channel, position and epoch, bound into its signature and AD."""

    channel_id: bytes
    position: int
    epoch: int


def _signed_bytes(slot: Slot, kind: int, published_at_ms: int, content: bytes) -> bytes:
    head = struct.pack("<QIBQ", slot.position, slot.epoch, kind, published_at_ms)
    return RECORD_DOMAIN + slot.channel_id + head + blake2b_256(content)


def associated_data(slot: Slot) -> bytes:
    return AD_DOMAIN + slot.channel_id + struct.pack("<QI", slot.position, slot.epoch)


def sign_record(
    signer: SigningKey, slot: Slot, kind: RecordKind, published_at_ms: int, content: bytes
) -> Record:
    if len(content) > MAX_CONTENT_SIZE:
        raise ContentTooLarge(len(content), MAX_CONTENT_SIZE)
    return Record(
        kind,
        published_at_ms,
        content,
        signer.sign(_signed_bytes(slot, kind, published_at_ms, content)),
    )


def check_record(record: Record, channel: PublicKey, slot: Slot) -> bool:
    """Whether the channel key signed ``record`` for exactly this channel, position and epoch."""
    signed = _signed_bytes(slot, record.kind, record.published_at_ms, record.content)
    return verify_signature(channel.raw, signed, record.signature)


def encode_record(record: Record) -> bytes:
    body = (
        _HEAD.pack(record.kind, record.published_at_ms, len(record.content))
        + record.content
        + record.signature
    )
    return body + bytes(-len(body) % PAD_TO)


def decode_record(raw: bytes) -> Record:
    """Parse a record, refusing anything non-canonical (so one record has one encoding)."""
    if len(raw) < _HEAD.size + SIGNATURE_SIZE or len(raw) % PAD_TO:
        raise InvalidChannelData("record", f"{len(raw)} bytes is not a padded record")
    kind, published_at_ms, size = _HEAD.unpack_from(raw)
    end = _HEAD.size + size + SIGNATURE_SIZE
    if end > len(raw) or len(raw) - end >= PAD_TO or any(raw[end:]):
        raise InvalidChannelData("record", "content length and padding disagree")
    if kind not in RecordKind.__members__.values():
        raise InvalidChannelData("record", f"unknown kind {kind}")
    content = raw[_HEAD.size : _HEAD.size + size]
    return Record(RecordKind(kind), published_at_ms, content, raw[end - SIGNATURE_SIZE : end])


def seal_record(record: Record, key: bytes | None, ad: bytes) -> bytes:
    """The envelope: the record itself on public channels, else AEAD under ``key``."""
    encoded = encode_record(record)
    return encoded if key is None else aead_encrypt(key, encoded, ad)


def expected_issuer(mode: ChannelMode, channel: PublicKey, point: ChainPoint) -> bytes:
    """Who must have issued the ledger message at ``point``: the channel key or the one-time key."""
    if mode is ChannelMode.PUBLIC:
        return channel.raw
    return point.issuer().public_key.raw


@dataclass(frozen=True, slots=True)
class Attempt:
    """One way the message at a position may open: a key (None: clear), epoch, kind."""

    key: bytes | None
    epoch: int
    kind: RecordKind


@dataclass(frozen=True, slots=True, repr=False)
class Opened:
    record: Record
    epoch: int
    message: Message


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a message at a channel address was not accepted.

    ``locked`` means the right one-time issuer made it, so someone who holds the
    chain did, but no key we have opened it: a wrong key, not plain spam.
    """

    reason: str
    locked: bool = False


def _check_outer(
    message: Message, point: ChainPoint, channel: PublicKey, mode: ChannelMode
) -> Refused | None:
    """The ledger-level checks: right tag, right issuer, a valid ledger signature."""
    if message.tag != point.tag or not isinstance(message.payload, DataPayload):
        return Refused("not a data message at this position's tag")
    if message.issuer != expected_issuer(mode, channel, point):
        return Refused("issued by another key")
    if not verify_signature(message.issuer, SIGNING_DOMAIN + message.essence, message.signature):
        return Refused("ledger signature does not verify")
    return None


def open_message(
    message: Message,
    point: ChainPoint,
    channel: PublicKey,
    mode: ChannelMode,
    attempts: Sequence[Attempt],
) -> Opened | Refused:
    """Check a ledger message at ``point`` end to end: tag, issuer, both signatures, AEAD."""
    refused = _check_outer(message, point, channel, mode)
    if refused is not None:
        return refused
    assert isinstance(message.payload, DataPayload)
    envelope = message.payload.data
    owner_channel = channel_id(channel)
    for attempt in attempts:
        slot = Slot(owner_channel, point.position, attempt.epoch)
        try:
            plain = (
                envelope
                if attempt.key is None
                else aead_decrypt(attempt.key, envelope, associated_data(slot))
            )
            record = decode_record(plain)
        except (DecryptionFailed, InvalidChannelData):
            continue
        if record.kind != attempt.kind or not check_record(record, channel, slot):
            return Refused("not signed by the channel owner")
        return Opened(record, attempt.epoch, message)
    return Refused("no key opens it", locked=mode is not ChannelMode.PUBLIC)
