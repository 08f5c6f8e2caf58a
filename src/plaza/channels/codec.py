"""Canonical bytes of descriptors, reader keys and publisher states.

::

    descriptor = count u8 || (name_len u8 || name || value_len u16 || value) * n   (sorted)
    reader_key = 0x01 || channel 32 || mode u8 || position u64 || chain 32 || epoch u32
                 || flags u8 || [epoch_key 32] || [hint_key 32] || [epoch_master 32]
                 || [owner 32] || expires_at_ms u64 || max_messages u32
    state      = 0x01 || mode u8 || secret 32 || owner 32 || position u64 || chain 32
                 || data_count u64 || grant_count u16 || (reader 32 || expires u64 || until u64) * n
                 || start_count u32 || start u64 * m
                 || in_flight u8 || [chain_before 32 || raw_len u32 || raw]

Flags bits 0-3 say which optional keys follow, in that order; a zero time or
count means "unbounded". Decoders refuse anything non-canonical.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TypeVar

from plaza.channels.errors import InvalidChannelData
from plaza.channels.model import (
    Channel,
    ChannelMode,
    Descriptor,
    Grant,
    InFlight,
    PublisherState,
    ReaderKey,
)
from plaza.crypto import EncryptionPublicKey, PublicKey
from plaza.encoding import ByteReader, EncodingError, Writer
from plaza.ledger.model import MAX_PAYLOAD_SIZE

__all__ = [
    "decode_descriptor",
    "decode_reader_key",
    "decode_state",
    "encode_descriptor",
    "encode_reader_key",
    "encode_state",
    "read_descriptor",
    "read_reader_key",
]

FORMAT_VERSION = 1
MAX_MESSAGE_SIZE = MAX_PAYLOAD_SIZE + 1024  # a payload with the largest message framing
_OPTIONAL_KEYS = ("epoch_key", "hint_key", "epoch_master")
_OWNER_FLAG = 8
T = TypeVar("T")


def _decoding(what: str, data: bytes, read: Callable[[ByteReader], T]) -> T:
    """Run a reader over all of ``data``, turning any flaw into :class:`InvalidChannelData`."""
    reader = ByteReader(data)
    try:
        value = read(reader)
        reader.expect_end(what)
    except (EncodingError, ValueError) as error:
        raise InvalidChannelData(what, str(error)) from None
    return value


def _mode(value: int) -> ChannelMode:
    if value not in ChannelMode.__members__.values():
        raise ValueError(f"unknown channel mode {value}")
    return ChannelMode(value)


def write_descriptor(writer: Writer, descriptor: Descriptor) -> None:
    writer.u8(len(descriptor.fields))
    for name, value in descriptor.fields:
        encoded = value.encode()
        writer.bytes8(name.encode()).u16(len(encoded)).raw(encoded)


def read_descriptor(reader: ByteReader) -> Descriptor:
    count = reader.u8("field count")
    fields = []
    for _ in range(count):
        name = reader.bytes8("field name", limit=64).decode()
        value = reader.raw(reader.u16("value length"), "field value").decode()
        fields.append((name, value))
    return Descriptor(tuple(fields))


def encode_descriptor(descriptor: Descriptor) -> bytes:
    writer = Writer()
    write_descriptor(writer, descriptor)
    return writer.getvalue()


def decode_descriptor(data: bytes) -> Descriptor:
    return _decoding("descriptor", data, read_descriptor)


def write_reader_key(writer: Writer, key: ReaderKey) -> None:
    optional = [getattr(key, name) for name in _OPTIONAL_KEYS]
    flags = sum(1 << bit for bit, value in enumerate(optional) if value is not None)
    flags |= _OWNER_FLAG if key.owner is not None else 0
    writer.u8(FORMAT_VERSION).raw(key.channel.raw).u8(key.mode).u64(key.position)
    writer.raw(key.chain).u32(key.epoch).u8(flags)
    for value in optional:
        if value is not None:
            writer.raw(value)
    if key.owner is not None:
        writer.raw(key.owner.raw)
    writer.u64(key.expires_at_ms or 0).u32(key.max_messages or 0)


def read_reader_key(reader: ByteReader) -> ReaderKey:
    if reader.u8("format version") != FORMAT_VERSION:
        raise ValueError("unknown reader key format")
    channel = PublicKey(reader.raw(32, "channel key"))
    mode, position = _mode(reader.u8("mode")), reader.u64("position")
    chain, epoch, flags = reader.raw(32, "chain state"), reader.u32("epoch"), reader.u8("flags")
    if flags >= 16:
        raise ValueError(f"unknown reader key flags {flags:#x}")
    optional = {
        name: reader.raw(32, name) if flags & (1 << bit) else None
        for bit, name in enumerate(_OPTIONAL_KEYS)
    }
    owner = PublicKey(reader.raw(32, "owner")) if flags & _OWNER_FLAG else None
    expires, messages = reader.u64("expiry"), reader.u32("message allowance")
    return ReaderKey(
        channel,
        mode,
        position,
        chain,
        epoch,
        owner=owner,
        expires_at_ms=expires or None,
        max_messages=messages or None,
        **optional,
    )


def encode_reader_key(key: ReaderKey) -> bytes:
    writer = Writer()
    write_reader_key(writer, key)
    return writer.getvalue()


def decode_reader_key(data: bytes) -> ReaderKey:
    return _decoding("reader key", data, read_reader_key)


def encode_state(state: PublisherState) -> bytes:
    channel = state.channel
    writer = Writer().u8(FORMAT_VERSION).u8(channel.mode).raw(channel.secret_bytes)
    writer.raw(channel.owner.raw).u64(state.position).raw(state.chain).u64(state.data_count)
    writer.u16(len(state.grants))
    for grant in state.grants:
        writer.raw(grant.reader.raw).u64(grant.expires_at_ms or 0).u64(grant.until_count or 0)
    writer.u32(len(state.epoch_starts))
    for start in state.epoch_starts:
        writer.u64(start)
    if state.in_flight is None:
        return writer.u8(0).getvalue()
    return writer.u8(1).raw(state.in_flight.chain).bytes32(state.in_flight.raw).getvalue()


def _read_state(reader: ByteReader) -> PublisherState:
    if reader.u8("format version") != FORMAT_VERSION:
        raise ValueError("unknown state format")
    mode, secret = _mode(reader.u8("mode")), reader.raw(32, "secret")
    channel = Channel(mode, PublicKey(reader.raw(32, "owner")), secret)
    position, chain, count = reader.u64("position"), reader.raw(32, "chain"), reader.u64("count")
    grants = tuple(
        Grant(
            EncryptionPublicKey(reader.raw(32, "reader")),
            reader.u64("expiry") or None,
            reader.u64("until") or None,
        )
        for _ in range(reader.u16("grant count"))
    )
    starts = tuple(reader.u64("epoch start") for _ in range(reader.u32("epoch count")))
    in_flight = None
    if reader.u8("in-flight flag"):
        before = reader.raw(32, "chain before")
        in_flight = InFlight(before, reader.bytes32("in-flight message", limit=MAX_MESSAGE_SIZE))
    return PublisherState(channel, position, chain, count, grants, starts, in_flight)


def decode_state(data: bytes, version: int | None = None) -> PublisherState:
    """A state as stored at ``version`` (None for one that comes from a backup)."""
    return dataclasses.replace(_decoding("publisher state", data, _read_state), version=version)
