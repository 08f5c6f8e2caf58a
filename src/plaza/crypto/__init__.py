"""Cryptographic primitives of the plaza tangle ledger.

Everything above this package talks in these types, never in PyNaCl's, so
the backend can change without touching the ledger:

* :mod:`.keys` / :mod:`.identity` / :mod:`.seed` - Ed25519 signing,
  X25519 encryption keys, and their deterministic derivation from a seed
  with a BIP-39 recovery phrase;
* :mod:`.address` - BLAKE2b account addresses in bech32m text form;
* :mod:`.sealed` - sealed boxes and XChaCha20-Poly1305 AEAD;
* :mod:`.hashing` - BLAKE2b;
* :mod:`.errors` - the :class:`CryptoError` family.
"""

from .address import Address
from .errors import (
    BadSignature,
    CryptoError,
    DecryptionFailed,
    InvalidAddress,
    InvalidKey,
    InvalidMnemonic,
)
from .hashing import blake2b, blake2b_256
from .identity import Identity
from .keys import EncryptionKey, EncryptionPublicKey, PublicKey, SigningKey, verify_signature
from .sealed import AEAD_KEY_SIZE, aead_decrypt, aead_encrypt, open_sealed, seal
from .seed import Seed

__all__ = [
    "AEAD_KEY_SIZE",
    "Address",
    "BadSignature",
    "CryptoError",
    "DecryptionFailed",
    "EncryptionKey",
    "EncryptionPublicKey",
    "Identity",
    "InvalidAddress",
    "InvalidKey",
    "InvalidMnemonic",
    "PublicKey",
    "Seed",
    "SigningKey",
    "aead_decrypt",
    "aead_encrypt",
    "blake2b",
    "blake2b_256",
    "open_sealed",
    "seal",
    "verify_signature",
]
