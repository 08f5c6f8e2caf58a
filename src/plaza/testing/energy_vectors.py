"""Energy wire test vectors: the exact bytes ``docs/energy.md`` ("Test vectors") publishes.

An asset's ``/offer`` letter to the marketplace, from fixed keys, time and nonce:
its canonical text, its signature, the sealed envelope, the signed document of the
offer's first state as the asset's twin holds it, and the reader key of that twin.
Signatures are deterministic; the randomness a sealed letter normally draws (the salt,
the sealed box's ephemeral key) is fixed here and built with libsodium's own
primitives, so the vectors never change unless the format does. A test checks the
document against this module, that the code opens these bytes, and that hashlib and
PyNaCl alone re-derive them from the text.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from nacl.bindings import crypto_box
from nacl.public import PrivateKey

from plaza.channels import Channel, ChannelMode, ReaderKey
from plaza.crypto import EncryptionKey, EncryptionPublicKey, Identity, SigningKey
from plaza.energy.envelope import DOCUMENTS, LETTERS, ModuleKey, canonical_json
from plaza.energy.model import Transaction, TransactionStatus, TransactionType
from plaza.market.twins.records import reader_key_text

__all__ = ["energy_vectors"]

_TIME_MS = 1_767_225_600_000
_NONCE = "00112233445566778899aabbccddeeff"
_SALT = bytes(range(16))
_CHANNEL_SECRET = bytes(range(32, 64))
_ASSET = "solar-roof-7"


def _seed(number: int) -> bytes:
    return number.to_bytes(32, "big")


def _sealed(recipient: EncryptionPublicKey, plaintext: bytes, ephemeral_secret: bytes) -> bytes:
    """libsodium's crypto_box_seal with a chosen ephemeral key (normally random)."""
    public = bytes(PrivateKey(ephemeral_secret).public_key)
    nonce = hashlib.blake2b(public + recipient.raw, digest_size=24).digest()
    return public + crypto_box(plaintext, nonce, recipient.raw, ephemeral_secret)


def _offer(asset: Identity) -> Transaction:
    """A provider's new offer, as an asset module opens it (one non-ASCII location)."""
    return Transaction(
        TransactionType.OFFER,
        TransactionStatus.INITIAL_OFFER,
        1200,
        150,
        str(_TIME_MS),
        providerId=_ASSET,
        providerTransactionId="9f1c2a7e4b3d5c6a8e0f1b2c",
        walletAddress=str(SigningKey(_seed(5)).public_key.address),
        location="Trondheim, Øya",
    )


def _twin_key(asset: Identity) -> str:
    """The reader key, at position 0, of the offer's twin: a private channel of the asset."""
    channel = Channel(ChannelMode.PRIVATE, asset.public_key, _CHANNEL_SECRET)
    start = channel.start()
    key = ReaderKey(channel.public_key, channel.mode, 0, start.state, owner=channel.owner)
    return reader_key_text(key)


def _keys(asset: Identity, marketplace: Identity) -> dict[str, str]:
    return {
        "asset_signing_seed": _seed(1).hex(),
        "asset_encryption_seed": _seed(2).hex(),
        "asset_module_key": ModuleKey.of(asset).to_text(),
        "marketplace_signing_seed": _seed(3).hex(),
        "marketplace_encryption_seed": _seed(4).hex(),
        "marketplace_module_key": ModuleKey.of(marketplace).to_text(),
    }


def _letter(asset: Identity, body: dict[str, Any]) -> dict[str, Any]:
    unsigned = {
        "sender": _ASSET,
        "key": asset.public_key.raw.hex(),
        "audience": "marketplace",
        "issuedAt": _TIME_MS,
        "nonce": _NONCE,
        "body": body,
    }
    signed = LETTERS.sign(
        body,
        sender=_ASSET,
        key=asset.signing,
        audience="marketplace",
        now_ms=_TIME_MS,
        nonce=_NONCE,
    )
    return {
        "domain": "plaza-energy-letter-v1",
        "path": "/offer",
        "canonical": canonical_json(unsigned).decode(),
        "signature": json.loads(signed)["signature"],
        "signed": signed.decode(),
    }


def _envelope(marketplace: Identity, signed: bytes) -> dict[str, Any]:
    ephemeral = _seed(6)
    plaintext = b"\x01" + _SALT + signed
    ciphertext = _sealed(marketplace.encryption.public_key, plaintext, ephemeral)
    document = json.dumps({"encrypted": base64.b64encode(ciphertext).decode("ascii")})
    return {
        "salt": _SALT.hex(),
        "ephemeral_secret": ephemeral.hex(),
        "ephemeral_public": ciphertext[:32].hex(),
        "nonce": hashlib.blake2b(
            ciphertext[:32] + marketplace.encryption.public_key.raw, digest_size=24
        )
        .digest()
        .hex(),
        "document": document,
    }


def _twin(asset: Identity, offer: Transaction, reader_key: str) -> dict[str, Any]:
    document = DOCUMENTS.sign(offer.to_json(), asset)
    return {
        "domain": "plaza-energy-document-v1",
        "canonical": canonical_json(offer.to_json()).decode(),
        "document": document,
        "entry": json.dumps(document, sort_keys=True),
        "channel_secret": _CHANNEL_SECRET.hex(),
        "reader_key": reader_key,
    }


def energy_vectors() -> dict[str, Any]:
    asset = Identity(SigningKey(_seed(1)), EncryptionKey(_seed(2)))
    marketplace = Identity(SigningKey(_seed(3)), EncryptionKey(_seed(4)))
    offer = _offer(asset)
    reader_key = _twin_key(asset)
    letter = _letter(asset, {"transaction": offer.to_json(), "twin": reader_key})
    return {
        "time_ms": _TIME_MS,
        "keys": _keys(asset, marketplace),
        "letter": letter,
        "envelope": _envelope(marketplace, letter["signed"].encode()),
        "twin": _twin(asset, offer, reader_key),
    }


if __name__ == "__main__":  # regenerate the block in docs/energy.md
    print(json.dumps(energy_vectors(), indent=2, ensure_ascii=False))
