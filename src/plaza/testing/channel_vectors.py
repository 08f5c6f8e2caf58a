"""Channel test vectors: the exact bytes ``docs/protocol.md`` ("Channel test vectors") publishes.

A restricted channel from fixed secrets: position 0 is the keys record that
starts epoch 1 for one reader, position 1 a data record; then the channel's
announcement and the sealed delivery of the reader's key. Signatures are
deterministic; the randomness that encryption normally draws (AEAD nonces, the
sealed box's ephemeral key) is fixed here and built with libsodium's own
primitives, so the vectors never change unless the format does. A test checks
the document against this module, that the code opens these bytes, and that
hashlib and PyNaCl alone re-derive them from the text.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from typing import Any

from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_encrypt, crypto_box
from nacl.public import PrivateKey

from plaza.channels import Channel, ChannelMode, Descriptor, ReaderKey, announce
from plaza.channels.chain import hint, hint_key, inbox_tag
from plaza.channels.envelope import RecordKind, Slot, associated_data, encode_record, sign_record
from plaza.channels.epochs import OWNER_DOMAIN
from plaza.channels.inbox import encode_delivery
from plaza.crypto import EncryptionKey, EncryptionPublicKey, Identity, SigningKey
from plaza.ledger.compose import compose
from plaza.ledger.genesis import network_id_for
from plaza.ledger.model import DataPayload, IssuedPayload, Message
from plaza.ledger.pow import Blake2bWork

__all__ = ["channel_vectors"]

_TIME_MS = 1_767_225_600_000
_NETWORK = "plaza-vectors"
_PARENT = bytes.fromhex("11" * 32)


def _seed(number: int) -> bytes:
    return number.to_bytes(32, "big")


def _aead(key: bytes, plaintext: bytes, ad: bytes, nonce: bytes) -> bytes:
    return nonce + crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, nonce, key)


def _sealed(recipient: EncryptionPublicKey, plaintext: bytes, ephemeral_secret: bytes) -> bytes:
    """libsodium's crypto_box_seal with a chosen ephemeral key (normally random)."""
    ephemeral = PrivateKey(ephemeral_secret)
    public = bytes(ephemeral.public_key)
    nonce = hashlib.blake2b(public + recipient.raw, digest_size=24).digest()
    return public + crypto_box(plaintext, nonce, recipient.raw, ephemeral_secret)


def _message(signer: SigningKey, tag: bytes, data: bytes, offset_ms: int) -> Message:
    return compose(
        signer,
        network_id=network_id_for(_NETWORK),
        parents=[_PARENT],
        payload=DataPayload(tag, data),
        issued_at_ms=_TIME_MS + offset_ms,
        work=Blake2bWork(8),
    )


class _Capture:
    """Just enough of a gateway for :func:`announce`: compose deterministically, keep the bytes."""

    def __init__(self) -> None:
        self.raw = b""

    def compose(
        self,
        signer: SigningKey,
        payload: IssuedPayload,
        *,
        first_parents: Sequence[bytes] = (),
        not_before_ms: int = 0,
    ) -> Message:
        assert isinstance(payload, DataPayload)
        return _message(signer, payload.tag, payload.data, 3000)

    def submit(self, raw: bytes) -> bytes:
        self.raw = raw
        return hashlib.blake2b(raw, digest_size=32).digest()


class _Clock:
    def now_ms(self) -> int:
        return _TIME_MS + 3000


def _keys_content(channel: Channel, reader: EncryptionPublicKey) -> dict[str, str]:
    secret = struct.pack("<I", 1) + channel.epoch_key(1)
    wrap = hint(hint_key(channel.hint_master, reader), 1) + _sealed(reader, secret, _seed(9))
    owner_state = struct.pack("<QH", 0, 1) + reader.raw + bytes(16)
    owner_ad = OWNER_DOMAIN + channel.id + struct.pack("<QI", 0, 1)
    owner_blob = _aead(channel.owner_key, owner_state, owner_ad, bytes([0xB0]) * 24)
    content = struct.pack("<IH", 1, 1) + wrap + owner_blob
    return {"content": content.hex(), "owner_state": owner_state.hex()}


def _record(
    channel: Channel, position: int, kind: RecordKind, content: bytes, key: bytes
) -> dict[str, Any]:
    slot = Slot(channel.id, position, 1)
    record = encode_record(sign_record(channel.signing, slot, kind, _TIME_MS + position, content))
    nonce = bytes([0xA0 + position]) * 24
    envelope = _aead(key, record, associated_data(slot), nonce)
    point = channel.start().advance(position)
    issuer = point.issuer()
    message = _message(issuer, point.tag, envelope, 1000 * (position + 1))
    return {
        "position": position,
        "epoch": 1,
        "record": record.hex(),
        "associated_data": associated_data(slot).hex(),
        "envelope": envelope.hex(),
        "message": message.raw.hex(),
    }


def _derived(channel: Channel, reader: EncryptionPublicKey) -> dict[str, Any]:
    points = channel.start().window(2)
    reader_hint_key = hint_key(channel.hint_master, reader)
    return {
        "channel_signing_seed": channel.signing.seed_bytes.hex(),
        "channel_public_key": channel.public_key.raw.hex(),
        "channel_id": channel.id.hex(),
        "root": channel.root.hex(),
        "epoch_master": channel.epoch_master.hex(),
        "owner_key": channel.owner_key.hex(),
        "hint_master": channel.hint_master.hex(),
        "chain": [
            {
                "position": point.position,
                "state": point.state.hex(),
                "tag": point.tag.hex(),
                "chain_key": point.chain_key.hex(),
                "issuer_public_key": point.issuer().public_key.raw.hex(),
            }
            for point in points
        ],
        "epoch_key_1": channel.epoch_key(1).hex(),
        "reader_hint_key": reader_hint_key.hex(),
        "reader_hint_epoch_1": hint(reader_hint_key, 1).hex(),
        "reader_inbox_tag": inbox_tag(reader).hex(),
    }


def _delivery(owner: Identity, channel: Channel, reader: EncryptionPublicKey) -> dict[str, str]:
    key = ReaderKey(
        channel.public_key,
        ChannelMode.RESTRICTED,
        0,
        channel.root,
        1,
        epoch_key=channel.epoch_key(1),
        hint_key=hint_key(channel.hint_master, reader),
        owner=owner.public_key,
        max_messages=100,
    )
    plaintext = encode_delivery(owner, reader, key, _TIME_MS + 4000)
    sealed = _sealed(reader, plaintext, _seed(10))
    message = _message(SigningKey(_seed(11)), inbox_tag(reader), sealed, 4000)
    return {"plaintext": plaintext.hex(), "sealed": sealed.hex(), "message": message.raw.hex()}


def channel_vectors() -> dict[str, Any]:
    owner = Identity(SigningKey(_seed(4)), EncryptionKey(_seed(5)))
    reader_key = EncryptionKey(_seed(6))
    reader = reader_key.public_key
    channel = Channel(ChannelMode.RESTRICTED, owner.public_key, bytes(range(32)))
    keys = _keys_content(channel, reader)
    start = channel.start()
    capture = _Capture()
    descriptor = Descriptor.of(name="air-42", price="1000", location="45.07,7.68")
    announce(capture, channel, owner, descriptor, clock=_Clock())
    return {
        "inputs": {
            "owner_signing_seed": _seed(4).hex(),
            "owner_public_key": owner.public_key.raw.hex(),
            "channel_secret": bytes(range(32)).hex(),
            "mode": "restricted",
            "reader_encryption_seed": _seed(6).hex(),
            "reader_public_key": reader.raw.hex(),
            "network": _NETWORK,
            "parent": _PARENT.hex(),
        },
        "derived": _derived(channel, reader),
        "keys_record": {
            **_record(channel, 0, RecordKind.KEYS, bytes.fromhex(keys["content"]), start.chain_key),
            **keys,
        },
        "data_record": {
            **_record(channel, 1, RecordKind.DATA, b"21.5C", channel.epoch_key(1)),
            "content": b"21.5C".hex(),
        },
        "announcement": {"directory": "plaza-channels", "message": capture.raw.hex()},
        "delivery": _delivery(owner, channel, reader),
    }


if __name__ == "__main__":  # regenerate the block in docs/protocol.md
    import json

    print(json.dumps(channel_vectors(), indent=2))
