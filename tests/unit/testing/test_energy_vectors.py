"""docs/energy.md's test vectors: equal to the code's, opened by it, true to the text.

The ``*_follows_the_text`` tests re-derive every vector with hashlib, json, base64 and
PyNaCl alone, the way a third party writing an asset module would from the document;
the others check that Plaza's own code produces and accepts the same bytes, so neither
the document nor the code can drift from the other.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from pathlib import Path
from typing import Any

import nacl.public
import nacl.signing
import pytest

from plaza.crypto import EncryptionKey, Identity, PublicKey, SigningKey
from plaza.energy.envelope import ModuleKey, open_letter, seal_letter, verify_document
from plaza.energy.model import Transaction
from plaza.energy.twins import parse_reader_key
from plaza.market.auth import MemoryNonceStore
from plaza.testing.energy_vectors import energy_vectors

DOC = Path(__file__).parents[3] / "docs" / "energy.md"


@pytest.fixture(scope="module")
def documented() -> dict[str, Any]:
    block = re.search(r"## Test vectors.*?```json\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert block is not None, "docs/energy.md has no test-vector block"
    vectors: dict[str, Any] = json.loads(block.group(1))
    return vectors


def x(value: str) -> bytes:
    return bytes.fromhex(value)


def canonical(value: object) -> bytes:
    """The text's rule: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def module_keys(text: str) -> tuple[bytes, bytes]:
    found = re.fullmatch(r"ed25519:([0-9a-f]{64})/x25519:([0-9a-f]{64})", text)
    assert found is not None
    return x(found[1]), x(found[2])


def test_document_matches_code(documented: dict[str, Any]) -> None:
    assert documented == energy_vectors()


# -- hashlib, json and PyNaCl alone, from the text ----------------------------------------


def test_keys_follow_the_text(documented: dict[str, Any]) -> None:
    keys = documented["keys"]
    for module in ("asset", "marketplace"):
        signing, encryption = module_keys(keys[f"{module}_module_key"])
        seed = x(keys[f"{module}_signing_seed"])
        assert bytes(nacl.signing.SigningKey(seed).verify_key) == signing
        box_seed = x(keys[f"{module}_encryption_seed"])
        secret = hashlib.sha512(box_seed).digest()[:32]  # crypto_box_seed_keypair
        assert bytes(nacl.public.PrivateKey(secret).public_key) == encryption
        assert bytes(nacl.public.PrivateKey.from_seed(box_seed).public_key) == encryption


def test_letter_follows_the_text(documented: dict[str, Any]) -> None:
    letter = documented["letter"]
    fields = json.loads(letter["canonical"])
    assert set(fields) == {"sender", "key", "audience", "issuedAt", "nonce", "body"}
    assert canonical(fields) == letter["canonical"].encode()
    signing, _ = module_keys(documented["keys"]["asset_module_key"])
    assert x(fields["key"]) == signing
    assert fields["issuedAt"] == documented["time_ms"]
    message = letter["domain"].encode() + b"\x00" + letter["canonical"].encode()
    nacl.signing.VerifyKey(signing).verify(message, x(letter["signature"]))
    assert canonical({**fields, "signature": letter["signature"]}) == letter["signed"].encode()


def test_envelope_follows_the_text(documented: dict[str, Any]) -> None:
    envelope, keys = documented["envelope"], documented["keys"]
    document = json.loads(envelope["document"])
    assert set(document) == {"encrypted"}
    sealed = base64.b64decode(document["encrypted"], validate=True)
    _, recipient = module_keys(keys["marketplace_module_key"])
    ephemeral = nacl.public.PrivateKey(x(envelope["ephemeral_secret"]))
    assert sealed[:32] == bytes(ephemeral.public_key) == x(envelope["ephemeral_public"])
    nonce = hashlib.blake2b(sealed[:32] + recipient, digest_size=24).digest()
    assert nonce == x(envelope["nonce"])
    plaintext = b"\x01" + x(envelope["salt"]) + documented["letter"]["signed"].encode()
    box = nacl.public.Box(ephemeral, nacl.public.PublicKey(recipient))
    assert box.encrypt(plaintext, nonce).ciphertext == sealed[32:]
    owner = nacl.public.PrivateKey.from_seed(x(keys["marketplace_encryption_seed"]))
    assert nacl.public.SealedBox(owner).decrypt(sealed) == plaintext


def test_twin_entry_follows_the_text(documented: dict[str, Any]) -> None:
    twin = documented["twin"]
    document = twin["document"]
    assert canonical(document["message"]) == twin["canonical"].encode()
    signing, _ = module_keys(documented["keys"]["asset_module_key"])
    assert x(document["signer"]) == signing
    signed = twin["domain"].encode() + b"\x00" + twin["canonical"].encode()
    nacl.signing.VerifyKey(signing).verify(signed, x(document["signature"]))
    assert json.loads(twin["entry"]) == document
    offer = json.loads(documented["letter"]["canonical"])["body"]
    assert offer == {"transaction": document["message"], "twin": twin["reader_key"]}


def test_twin_reader_key_follows_the_text(documented: dict[str, Any]) -> None:
    """docs/protocol.md's reader key of a private channel, at position 0."""
    twin = documented["twin"]
    secret = x(twin["channel_secret"])

    def derive(label: bytes) -> bytes:
        return hashlib.blake2b(label, digest_size=32, key=secret, person=b"plaza-chan-sec").digest()

    channel_key = bytes(nacl.signing.SigningKey(derive(b"sign")).verify_key)
    owner, _ = module_keys(documented["keys"]["asset_module_key"])
    expected = (
        b"\x01"
        + channel_key
        + bytes([2])  # private
        + struct.pack("<Q", 0)
        + derive(b"root")
        + struct.pack("<I", 0)
        + bytes([0b1000])  # only the owner follows
        + owner
        + struct.pack("<QI", 0, 0)
    )
    assert base64.urlsafe_b64decode(twin["reader_key"]) == expected


# -- Plaza's code agrees -------------------------------------------------------------------


def _identity(keys: dict[str, str], module: str) -> Identity:
    return Identity(
        SigningKey(x(keys[f"{module}_signing_seed"])),
        EncryptionKey(x(keys[f"{module}_encryption_seed"])),
    )


def test_the_code_opens_the_documented_letter(documented: dict[str, Any]) -> None:
    keys, letter = documented["keys"], documented["letter"]
    asset_key = ModuleKey.from_text(keys["asset_module_key"]).signing
    fields = json.loads(letter["canonical"])
    opened = open_letter(
        documented["envelope"]["document"].encode(),
        identity=_identity(keys, "marketplace"),
        audience="marketplace",
        now_ms=documented["time_ms"] + 1000,
        nonces=MemoryNonceStore(),
        known_key=lambda sender: asset_key if sender == fields["sender"] else None,
    )
    assert (opened.sender, opened.key, opened.body) == (fields["sender"], asset_key, fields["body"])


def test_a_letter_the_code_seals_opens_by_the_text(documented: dict[str, Any]) -> None:
    keys = documented["keys"]
    body = {"energy": "Ø", "count": 3}
    document = seal_letter(
        body,
        sender="solar-roof-7",
        identity=_identity(keys, "asset"),
        recipient=ModuleKey.from_text(keys["marketplace_module_key"]),
        audience="marketplace",
        now_ms=documented["time_ms"],
    )
    sealed = base64.b64decode(json.loads(document)["encrypted"], validate=True)
    owner = nacl.public.PrivateKey.from_seed(x(keys["marketplace_encryption_seed"]))
    plaintext = nacl.public.SealedBox(owner).decrypt(sealed)
    assert plaintext[:1] == b"\x01"
    signed = plaintext[17:]
    fields = json.loads(signed)
    signature = x(fields.pop("signature"))
    assert canonical({**fields, "signature": signature.hex()}) == signed
    assert re.fullmatch(r"[0-9a-f]{32}", fields["nonce"])
    assert (fields["body"], fields["audience"], fields["issuedAt"]) == (
        body,
        "marketplace",
        documented["time_ms"],
    )
    verify = nacl.signing.VerifyKey(module_keys(keys["asset_module_key"])[0])
    verify.verify(b"plaza-energy-letter-v1\x00" + canonical(fields), signature)


def test_the_code_reads_the_documented_twin(documented: dict[str, Any]) -> None:
    twin = documented["twin"]
    signer = PublicKey(x(twin["document"]["signer"]))
    message = verify_document(json.loads(twin["entry"]), signer)
    offer = json.loads(documented["letter"]["canonical"])["body"]["transaction"]
    assert Transaction.from_json(message) == Transaction.from_json(offer)
    assert parse_reader_key(twin["reader_key"]).position == 0
