"""docs/protocol.md's channel test vectors: equal to the code's, opened by it, true to the text.

The last tests re-derive the vectors with hashlib and PyNaCl alone, as an
independent implementation would, so neither the document nor the code can
drift from the other.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from pathlib import Path
from typing import Any

import nacl.bindings
import nacl.public
import nacl.signing
import pytest

from plaza.channels import parse_announcement
from plaza.channels.envelope import Attempt, Opened, RecordKind, open_message
from plaza.channels.epochs import decode_keys_content, open_owner_state, open_wrap
from plaza.channels.inbox import open_delivery
from plaza.channels.model import Channel, ChannelMode
from plaza.crypto import EncryptionKey, PublicKey
from plaza.ledger.codec import decode_message
from plaza.testing.channel_vectors import channel_vectors

DOC = Path(__file__).parents[3] / "docs" / "protocol.md"


@pytest.fixture(scope="module")
def documented() -> dict[str, Any]:
    block = re.search(r"## Channel test vectors.*?```json\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert block is not None, "docs/protocol.md has no channel test-vector block"
    vectors: dict[str, Any] = json.loads(block.group(1))
    return vectors


def h(data: bytes, *, size: int = 32, key: bytes = b"", person: bytes = b"") -> bytes:
    return hashlib.blake2b(data, digest_size=size, key=key, person=person).digest()


def kdf(key: bytes, label: bytes, size: int = 32) -> bytes:
    return h(label, size=size, key=key, person=b"plaza-chan-v1")


def x(value: str) -> bytes:
    return bytes.fromhex(value)


def test_document_matches_code(documented: dict[str, Any]) -> None:
    assert documented == channel_vectors()


# -- the code opens what the document says ------------------------------------------------


def _channel(vectors: dict[str, Any]) -> Channel:
    inputs = vectors["inputs"]
    owner = PublicKey(x(inputs["owner_public_key"]))
    return Channel(ChannelMode.RESTRICTED, owner, x(inputs["channel_secret"]))


def test_the_code_opens_both_records(documented: dict[str, Any]) -> None:
    channel = _channel(documented)
    reader = EncryptionKey(x(documented["inputs"]["reader_encryption_seed"]))
    start = channel.start()
    keys_message = decode_message(x(documented["keys_record"]["message"]))
    opened = open_message(
        keys_message,
        start,
        channel.public_key,
        channel.mode,
        [Attempt(start.chain_key, 1, RecordKind.KEYS)],
    )
    assert isinstance(opened, Opened)
    keys = decode_keys_content(opened.record.content)
    hint_key = x(documented["derived"]["reader_hint_key"])
    assert open_wrap(keys, hint_key, reader) == channel.epoch_key(1)
    assert open_owner_state(channel, 0, keys)[1][0].reader == reader.public_key

    data_message = decode_message(x(documented["data_record"]["message"]))
    attempt = Attempt(channel.epoch_key(1), 1, RecordKind.DATA)
    data = open_message(data_message, start.next(), channel.public_key, channel.mode, [attempt])
    assert isinstance(data, Opened)
    assert data.record.content == b"21.5C"


def test_the_code_opens_the_announcement_and_delivery(documented: dict[str, Any]) -> None:
    channel = _channel(documented)
    announcement = parse_announcement(decode_message(x(documented["announcement"]["message"])))
    assert announcement.channel == channel.public_key
    assert announcement.descriptor.get("name") == "air-42"
    reader = EncryptionKey(x(documented["inputs"]["reader_encryption_seed"]))
    delivery = open_delivery(reader, decode_message(x(documented["delivery"]["message"])))
    assert delivery.reader_key.chain == channel.root
    assert delivery.reader_key.epoch_key == channel.epoch_key(1)


# -- an independent implementation, from the text ------------------------------------------


def test_secrets_and_chain_follow_the_text(documented: dict[str, Any]) -> None:
    secret, derived = x(documented["inputs"]["channel_secret"]), documented["derived"]
    for label, name in [
        (b"sign", "channel_signing_seed"),
        (b"root", "root"),
        (b"epochs", "epoch_master"),
        (b"owner", "owner_key"),
        (b"hints", "hint_master"),
    ]:
        assert h(label, key=secret, person=b"plaza-chan-sec").hex() == derived[name]
    channel_key = bytes(nacl.signing.SigningKey(x(derived["channel_signing_seed"])).verify_key)
    assert channel_key.hex() == derived["channel_public_key"]
    assert h(channel_key, person=b"plaza-chan-id").hex() == derived["channel_id"]
    state = x(derived["root"])
    for point in derived["chain"]:
        assert point["state"] == state.hex()
        assert kdf(state, b"addr").hex() == point["tag"]
        assert kdf(state, b"key").hex() == point["chain_key"]
        issuer = nacl.signing.SigningKey(kdf(state, b"issuer")).verify_key
        assert bytes(issuer).hex() == point["issuer_public_key"]
        state = kdf(state, b"next")
    epoch_key = kdf(x(derived["epoch_master"]), b"epoch" + struct.pack("<I", 1))
    assert epoch_key.hex() == derived["epoch_key_1"]
    reader = x(documented["inputs"]["reader_public_key"])
    hint_key = kdf(x(derived["hint_master"]), b"hintkey" + reader)
    assert hint_key.hex() == derived["reader_hint_key"]
    assert kdf(hint_key, b"hint" + struct.pack("<I", 1), 8).hex() == derived["reader_hint_epoch_1"]
    assert h(reader, person=b"plaza-inbox").hex() == derived["reader_inbox_tag"]


def _check_ledger_message(raw: bytes, issuer: bytes, tag: bytes) -> bytes:
    """The data of a ledger message with one parent, after checking issuer, tag and signature."""
    assert raw[38:70] == issuer
    essence, signature = raw[:-72], raw[-72:-8]
    nacl.signing.VerifyKey(issuer).verify(b"plaza-message-v1" + essence, signature)
    payload = raw[83:-72]
    assert payload[0] == len(tag)
    assert payload[1 : 1 + len(tag)] == tag
    return payload[1 + len(tag) :]


def _check_record(
    record: bytes, channel_key: bytes, channel_id: bytes, position: int, epoch: int
) -> bytes:
    kind, published_at, size = struct.unpack_from("<BQI", record)
    content, signature = record[13 : 13 + size], record[13 + size : 77 + size]
    assert len(record) % 64 == 0
    assert not any(record[77 + size :])
    signed = (
        b"plaza-chan-msg-v1"
        + channel_id
        + struct.pack("<QIBQ", position, epoch, kind, published_at)
        + h(content)
    )
    nacl.signing.VerifyKey(channel_key).verify(signed, signature)
    return content


@pytest.mark.parametrize(
    ("name", "key_name"), [("keys_record", "chain_key"), ("data_record", "epoch_key_1")]
)
def test_records_follow_the_text(documented: dict[str, Any], name: str, key_name: str) -> None:
    derived, vector = documented["derived"], documented[name]
    position = vector["position"]
    point = derived["chain"][position]
    channel_id = x(derived["channel_id"])
    envelope = _check_ledger_message(
        x(vector["message"]), x(point["issuer_public_key"]), x(point["tag"])
    )
    assert envelope.hex() == vector["envelope"]
    ad = b"plaza-chan-ad-v1" + channel_id + struct.pack("<QI", position, 1)
    assert ad.hex() == vector["associated_data"]
    key = x(point[key_name] if key_name == "chain_key" else derived[key_name])
    record = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
        envelope[24:], ad, envelope[:24], key
    )
    assert record.hex() == vector["record"]
    content = _check_record(record, x(derived["channel_public_key"]), channel_id, position, 1)
    if name == "data_record":
        assert content.hex() == vector["content"]
        return
    epoch, count = struct.unpack_from("<IH", content)
    assert (epoch, count) == (1, 1)
    assert content[6:14].hex() == derived["reader_hint_epoch_1"]
    reader = nacl.public.PrivateKey.from_seed(x(documented["inputs"]["reader_encryption_seed"]))
    unwrapped = nacl.public.SealedBox(reader).decrypt(content[14:98])
    assert unwrapped == struct.pack("<I", 1) + x(derived["epoch_key_1"])
    owner_ad = b"plaza-chan-own-v1" + channel_id + struct.pack("<QI", 0, 1)
    blob = content[98:]
    owner_state = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
        blob[24:], owner_ad, blob[:24], x(derived["owner_key"])
    )
    assert owner_state.hex() == vector["owner_state"]


def test_announcement_and_delivery_follow_the_text(documented: dict[str, Any]) -> None:
    inputs, derived = documented["inputs"], documented["derived"]
    owner, channel_key = x(inputs["owner_public_key"]), x(derived["channel_public_key"])
    data = _check_ledger_message(x(documented["announcement"]["message"]), owner, b"plaza-channels")
    body, signatures = data[:-128], data[-128:]
    assert body[:64] == channel_key + owner
    assert body[64] == 3
    signed = b"plaza-chan-ann-v1" + bytes([14]) + b"plaza-channels" + body
    nacl.signing.VerifyKey(owner).verify(signed, signatures[:64])
    nacl.signing.VerifyKey(channel_key).verify(signed, signatures[64:])

    delivery = documented["delivery"]
    sealed = x(delivery["sealed"])
    issuer = bytes(nacl.signing.SigningKey((11).to_bytes(32, "big")).verify_key)
    assert (
        _check_ledger_message(x(delivery["message"]), issuer, x(derived["reader_inbox_tag"]))
        == sealed
    )
    reader = nacl.public.PrivateKey.from_seed(x(inputs["reader_encryption_seed"]))
    plaintext = nacl.public.SealedBox(reader).decrypt(sealed)
    assert plaintext.hex() == delivery["plaintext"]
    body, signature = plaintext[:-64], plaintext[-64:]
    assert body[:32] == x(inputs["reader_public_key"])
    assert body[32:64] == owner
    nacl.signing.VerifyKey(owner).verify(b"plaza-chan-dlv-v1" + body, signature)
    key = body[72:]
    assert key[0] == 1
    assert key[1:33] == channel_key
    assert key[33] == 3
    assert key[42:74] == x(derived["root"])
