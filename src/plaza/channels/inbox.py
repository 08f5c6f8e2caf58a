"""Sealed key delivery: a reader key sent to one recipient's X25519 public key.

This is the seeds' "side key and root encrypted with the buyer's public key",
with X25519 sealed boxes instead of RSA, and signed by the sender::

    tag       = BLAKE2b-256(recipient, person="plaza-inbox")
    data      = crypto_box_seal(recipient, delivery)
    delivery  = recipient 32 || sender 32 || issued_at_ms u64 || reader_key || signature 64
    signature = Ed25519(sender, "plaza-chan-dlv-v1" || everything before it)

The ledger message is issued by a fresh one-time key, so the ledger shows that
someone wrote to this inbox, not who. The recipient finds every delivery with
one tag lookup and opens only its own. The trade-off: one tag per recipient
key links all deliveries to that key (their number and times); a buyer who
minds uses a fresh encryption key per purchase.
"""

from __future__ import annotations

from plaza.channels.chain import inbox_tag
from plaza.channels.codec import read_reader_key, write_reader_key
from plaza.channels.errors import InvalidChannelData
from plaza.channels.model import Delivery, ReaderKey
from plaza.channels.ports import Clock, MessageWriter
from plaza.crypto import (
    DecryptionFailed,
    EncryptionKey,
    EncryptionPublicKey,
    Identity,
    PublicKey,
    SigningKey,
    open_sealed,
    seal,
    verify_signature,
)
from plaza.encoding import ByteReader, EncodingError, Writer
from plaza.ledger.model import DataPayload, Message
from plaza.ledger.ports import LedgerReader

__all__ = ["deliver", "open_delivery", "open_inbox"]

DELIVERY_DOMAIN = b"plaza-chan-dlv-v1"
_SIGNATURE_SIZE = 64


def encode_delivery(
    sender: Identity, recipient: EncryptionPublicKey, key: ReaderKey, issued_at_ms: int
) -> bytes:
    """The signed plaintext of a delivery (before it is sealed)."""
    writer = Writer().raw(recipient.raw).raw(sender.public_key.raw).u64(issued_at_ms)
    write_reader_key(writer, key)
    body = writer.getvalue()
    return body + sender.signing.sign(DELIVERY_DOMAIN + body)


def deliver(
    gateway: MessageWriter,
    sender: Identity,
    recipient: EncryptionPublicKey,
    key: ReaderKey,
    *,
    clock: Clock,
) -> bytes:
    """Seal ``key`` to ``recipient`` and file it in its inbox; return the message id."""
    sealed = seal(recipient, encode_delivery(sender, recipient, key, clock.now_ms()))
    one_time = SigningKey.generate()
    return gateway.submit(gateway.compose(one_time, DataPayload(inbox_tag(recipient), sealed)).raw)


def open_delivery(recipient: EncryptionKey, message: Message) -> Delivery:
    """Open and check one inbox message; :class:`InvalidChannelData` if it is not for us."""
    payload = message.payload
    if not isinstance(payload, DataPayload):
        raise InvalidChannelData("delivery", "not a data message")
    try:
        plain = open_sealed(recipient, payload.data)
    except DecryptionFailed:
        raise InvalidChannelData("delivery", "not sealed to this key") from None
    body, signature = plain[:-_SIGNATURE_SIZE], plain[-_SIGNATURE_SIZE:]
    reader = ByteReader(body)
    try:
        addressed, sender = reader.raw(32, "recipient"), PublicKey(reader.raw(32, "sender"))
        issued_at_ms, key = reader.u64("time"), read_reader_key(reader)
        reader.expect_end("delivery")
    except (EncodingError, ValueError) as error:
        raise InvalidChannelData("delivery", str(error)) from None
    if addressed != recipient.public_key.raw:
        raise InvalidChannelData("delivery", "addressed to another key")
    if not verify_signature(sender.raw, DELIVERY_DOMAIN + body, signature):
        raise InvalidChannelData("delivery", "the sender's signature does not verify")
    return Delivery(key, sender, recipient.public_key, issued_at_ms, message.id)


def open_inbox(
    gateway: LedgerReader, recipient: EncryptionKey, *, limit: int = 100
) -> list[Delivery]:
    """Every valid delivery to ``recipient``, newest first; anything else is skipped."""
    deliveries = []
    for message_id in gateway.find_by_tag(inbox_tag(recipient.public_key), limit=limit):
        message = gateway.message(message_id)
        if message is None:
            continue
        try:
            deliveries.append(open_delivery(recipient, message))
        except InvalidChannelData:
            continue
    return sorted(deliveries, key=lambda delivery: delivery.issued_at_ms, reverse=True)
