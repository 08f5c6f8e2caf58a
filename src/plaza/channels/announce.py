"""Announcements: a channel's public description, bound to its owner's identity.

The seeds' sensors filed their name, position and price under a well-known tag
("pegasus") for everyone to find. An announcement does the same under a
directory tag, but both keys sign it: the owner's identity (so the channel is
the owner's) and the channel key (so the owner cannot claim someone else's
channel). The ledger message's issuer is the owner's identity key::

    body      = channel 32 || owner 32 || mode u8 || announced_at_ms u64 || descriptor
    signed    = "plaza-chan-ann-v1" || directory_len u8 || directory || body
    data      = body || owner_signature 64 || channel_signature 64

Announcing a private or restricted channel reveals that it exists and who owns
it, not where its messages are: its tags derive from a root it does not carry.
"""

from __future__ import annotations

from plaza.channels.codec import encode_descriptor, read_descriptor
from plaza.channels.errors import InvalidChannelData
from plaza.channels.model import Announcement, Channel, ChannelMode, Descriptor
from plaza.channels.ports import Clock, MessageWriter
from plaza.crypto import Identity, PublicKey, verify_signature
from plaza.encoding import ByteReader, EncodingError, Writer
from plaza.ledger.model import DataPayload, Message
from plaza.ledger.ports import LedgerReader

__all__ = ["DIRECTORY_TAG", "announce", "find_announcements", "parse_announcement"]

DIRECTORY_TAG = b"plaza-channels"
ANNOUNCE_DOMAIN = b"plaza-chan-ann-v1"
_SIGNATURES = 128


def _signed(directory: bytes, body: bytes) -> bytes:
    return ANNOUNCE_DOMAIN + bytes([len(directory)]) + directory + body


def announce(
    gateway: MessageWriter,
    channel: Channel,
    owner: Identity,
    descriptor: Descriptor,
    *,
    clock: Clock,
    directory: bytes = DIRECTORY_TAG,
) -> Announcement:
    """Publish the channel's description under ``directory``; both keys sign it."""
    if owner.public_key != channel.owner:
        raise ValueError("only the channel's owner identity can announce it")
    announced_at_ms = clock.now_ms()
    body = (
        Writer()
        .raw(channel.public_key.raw)
        .raw(owner.public_key.raw)
        .u8(channel.mode)
        .u64(announced_at_ms)
        .raw(encode_descriptor(descriptor))
        .getvalue()
    )
    signed = _signed(directory, body)
    data = body + owner.signing.sign(signed) + channel.signing.sign(signed)
    message_id = gateway.submit(gateway.compose(owner.signing, DataPayload(directory, data)).raw)
    return Announcement(
        channel.public_key, owner.public_key, channel.mode, descriptor, announced_at_ms, message_id
    )


def parse_announcement(message: Message) -> Announcement:
    """A verified announcement; :class:`InvalidChannelData` if anything does not hold."""
    payload = message.payload
    if not isinstance(payload, DataPayload) or len(payload.data) < _SIGNATURES:
        raise InvalidChannelData("announcement", "not a data message with two signatures")
    body, signatures = payload.data[:-_SIGNATURES], payload.data[-_SIGNATURES:]
    reader = ByteReader(body)
    try:
        channel, owner = PublicKey(reader.raw(32, "channel")), PublicKey(reader.raw(32, "owner"))
        mode, announced_at_ms = reader.u8("mode"), reader.u64("time")
        descriptor = read_descriptor(reader)
        reader.expect_end("announcement")
    except (EncodingError, ValueError) as error:
        raise InvalidChannelData("announcement", str(error)) from None
    if mode not in ChannelMode.__members__.values():
        raise InvalidChannelData("announcement", f"unknown mode {mode}")
    signed = _signed(payload.tag, body)
    for key, signature in ((owner, signatures[:64]), (channel, signatures[64:])):
        if not verify_signature(key.raw, signed, signature):
            raise InvalidChannelData("announcement", "a signature does not verify")
    return Announcement(channel, owner, ChannelMode(mode), descriptor, announced_at_ms, message.id)


def find_announcements(
    gateway: LedgerReader, *, directory: bytes = DIRECTORY_TAG, limit: int = 100
) -> list[Announcement]:
    """The latest valid announcement of each channel in ``directory``; invalid ones skipped."""
    latest: dict[bytes, Announcement] = {}
    for message_id in gateway.find_by_tag(directory, limit=limit):
        message = gateway.message(message_id)
        if message is None:
            continue
        try:
            found = parse_announcement(message)
        except InvalidChannelData:
            continue
        current = latest.get(found.channel.raw)
        if current is None or found.announced_at_ms > current.announced_at_ms:
            latest[found.channel.raw] = found
    return sorted(latest.values(), key=lambda a: a.announced_at_ms, reverse=True)
