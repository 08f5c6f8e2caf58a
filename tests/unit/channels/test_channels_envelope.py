"""Records and envelopes: round trips, and every tamper or move is refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaza.channels import MAX_CONTENT_SIZE, Channel, ChannelMode, ContentTooLarge
from plaza.channels.envelope import (
    Attempt,
    Opened,
    Record,
    RecordKind,
    Refused,
    Slot,
    associated_data,
    decode_record,
    encode_record,
    open_message,
    seal_record,
    sign_record,
)
from plaza.channels.errors import InvalidChannelData
from plaza.crypto import Identity
from plaza.ledger.codec import decode_message
from plaza.ledger.compose import compose
from plaza.ledger.errors import MessageRejected
from plaza.ledger.model import DataPayload, Message
from plaza.ledger.pow import NoWork

OWNER = Identity.generate()
CHANNELS = {mode: Channel.create(mode, OWNER) for mode in ChannelMode}


def _message(channel: Channel, position: int, epoch: int, content: bytes) -> Message:
    point = channel.start().advance(position)
    key = None if channel.mode is ChannelMode.PUBLIC else point.chain_key
    slot = Slot(channel.id, position, epoch)
    record = sign_record(channel.signing, slot, RecordKind.DATA, 1000, content)
    envelope = seal_record(record, key, associated_data(slot))
    signer = channel.signing if channel.mode is ChannelMode.PUBLIC else point.issuer()
    return compose(
        signer,
        network_id=1,
        parents=[bytes(32)],
        payload=DataPayload(point.tag, envelope),
        issued_at_ms=1000,
        work=NoWork(),
    )


def _open(channel: Channel, message: Message, position: int, epoch: int) -> Opened | Refused:
    point = channel.start().advance(position)
    key = None if channel.mode is ChannelMode.PUBLIC else point.chain_key
    attempt = Attempt(key, epoch, RecordKind.DATA)
    return open_message(message, point, channel.public_key, channel.mode, [attempt])


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(list(ChannelMode)),
    st.integers(0, 20),
    st.integers(0, 5),
    st.binary(max_size=300),
)
def test_every_mode_round_trips(mode: ChannelMode, position: int, epoch: int, data: bytes) -> None:
    channel = CHANNELS[mode]
    opened = _open(channel, _message(channel, position, epoch, data), position, epoch)
    assert isinstance(opened, Opened)
    assert opened.record.content == data
    assert opened.epoch == epoch


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(list(ChannelMode)), st.data())
def test_any_flipped_bit_of_the_message_is_refused(mode: ChannelMode, data: st.DataObject) -> None:
    channel = CHANNELS[mode]
    message = _message(channel, 2, 0, b"21.5C")
    index = data.draw(st.integers(0, len(message.raw) - 73), label="byte")  # before signature
    bit = data.draw(st.integers(0, 7), label="bit")
    raw = bytearray(message.raw)
    raw[index] ^= 1 << bit
    try:
        tampered = decode_message(bytes(raw))
    except MessageRejected:  # the tamper broke the framing: the ledger refuses it already
        return
    assert isinstance(_open(channel, tampered, 2, 0), Refused)


@pytest.mark.parametrize("mode", list(ChannelMode))
def test_a_message_moved_to_another_position_or_epoch_is_refused(mode: ChannelMode) -> None:
    channel = CHANNELS[mode]
    message = _message(channel, 4, 1, b"reading")
    assert isinstance(_open(channel, message, 4, 1), Opened)
    assert isinstance(_open(channel, message, 5, 1), Refused)
    assert isinstance(_open(channel, message, 4, 2), Refused)


def test_a_message_of_another_channel_is_refused_even_at_the_same_tag() -> None:
    other = Channel.create(ChannelMode.PUBLIC, OWNER)
    message = _message(CHANNELS[ChannelMode.PUBLIC], 0, 0, b"x")
    point = other.start()
    attempt = Attempt(None, 0, RecordKind.DATA)
    outcome = open_message(message, point, other.public_key, other.mode, [attempt])
    assert isinstance(outcome, Refused)


@given(st.binary(max_size=500))
def test_records_are_padded_to_64_bytes_and_decode_back(content: bytes) -> None:
    record = Record(RecordKind.DATA, 7, content, bytes(64))
    encoded = encode_record(record)
    assert len(encoded) % 64 == 0
    assert decode_record(encoded) == record


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: raw[:-64],  # drop the padding block: length no longer fits
        lambda raw: raw[:-1] + b"\x01",  # non-zero padding
        lambda raw: b"\x09" + raw[1:],  # unknown kind
        lambda raw: raw + bytes(64),  # a whole extra block of padding
    ],
)
def test_non_canonical_records_are_refused(mangle: object) -> None:
    raw = encode_record(Record(RecordKind.DATA, 7, b"abc", bytes(64)))
    with pytest.raises(InvalidChannelData):
        decode_record(mangle(raw))  # type: ignore[operator]


def test_content_size_limit_is_exact() -> None:
    channel = CHANNELS[ChannelMode.RESTRICTED]
    slot = Slot(channel.id, 0, 0)
    sign_record(channel.signing, slot, RecordKind.DATA, 0, bytes(MAX_CONTENT_SIZE))
    with pytest.raises(ContentTooLarge) as raised:
        sign_record(channel.signing, slot, RecordKind.DATA, 0, bytes(MAX_CONTENT_SIZE + 1))
    assert raised.value.limit == MAX_CONTENT_SIZE
