"""Encryption: anonymous sealed boxes and symmetric AEAD.

* Sealed boxes (X25519 + XSalsa20-Poly1305, libsodium ``crypto_box_seal``)
  let anyone encrypt to an :class:`~.keys.EncryptionPublicKey` without
  revealing who sent it; the sender keeps nothing that could decrypt it.
* AEAD (XChaCha20-Poly1305) protects data under a shared 32-byte key. Its
  192-bit nonce is large enough to pick at random for every message, so
  callers never have to keep a nonce counter in sync.

Every authentication failure becomes :class:`~.errors.DecryptionFailed`,
with no detail that could serve as a decryption oracle.
"""

from __future__ import annotations

import nacl.exceptions
import nacl.public
import nacl.utils
from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_ABYTES,
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
    crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
)

from .errors import DecryptionFailed, InvalidKey
from .keys import EncryptionKey, EncryptionPublicKey

__all__ = [
    "AEAD_KEY_SIZE",
    "AEAD_NONCE_SIZE",
    "AEAD_TAG_SIZE",
    "aead_decrypt",
    "aead_encrypt",
    "open_sealed",
    "seal",
]

AEAD_KEY_SIZE: int = crypto_aead_xchacha20poly1305_ietf_KEYBYTES
AEAD_NONCE_SIZE: int = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
AEAD_TAG_SIZE: int = crypto_aead_xchacha20poly1305_ietf_ABYTES


def seal(recipient: EncryptionPublicKey, plaintext: bytes) -> bytes:
    """Encrypt ``plaintext`` so that only ``recipient``'s owner can read it."""
    box = nacl.public.SealedBox(nacl.public.PublicKey(recipient.raw))
    return box.encrypt(plaintext)


def open_sealed(key: EncryptionKey, ciphertext: bytes) -> bytes:
    """Decrypt a sealed box addressed to ``key``; raise :class:`DecryptionFailed` otherwise."""
    box = nacl.public.SealedBox(key._as_nacl())
    try:
        return box.decrypt(ciphertext)
    except nacl.exceptions.CryptoError:
        # Also covers truncated input, which PyNaCl reports as a TypeError subclass.
        raise DecryptionFailed("sealed box could not be opened") from None


def _require_aead_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != AEAD_KEY_SIZE:
        raise InvalidKey(f"AEAD key must be {AEAD_KEY_SIZE} bytes")


def aead_encrypt(key: bytes, plaintext: bytes, associated_data: bytes = b"") -> bytes:
    """Encrypt and authenticate; return ``nonce || ciphertext || tag``.

    ``associated_data`` is authenticated but not encrypted: bind the
    ciphertext to its context (e.g. a record id) so it cannot be replayed
    elsewhere. The same data must be supplied to :func:`aead_decrypt`.
    """
    _require_aead_key(key)
    nonce = nacl.utils.random(AEAD_NONCE_SIZE)
    return nonce + crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, associated_data, nonce, key
    )


def aead_decrypt(key: bytes, blob: bytes, associated_data: bytes = b"") -> bytes:
    """Verify and decrypt a blob from :func:`aead_encrypt`.

    Raises :class:`DecryptionFailed` if the blob was altered or truncated, or
    if ``key`` or ``associated_data`` differ from those used to encrypt.
    """
    _require_aead_key(key)
    if len(blob) < AEAD_NONCE_SIZE + AEAD_TAG_SIZE:
        raise DecryptionFailed("AEAD blob too short")
    nonce, ciphertext = blob[:AEAD_NONCE_SIZE], blob[AEAD_NONCE_SIZE:]
    try:
        return crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, associated_data, nonce, key)
    except nacl.exceptions.CryptoError:
        raise DecryptionFailed("AEAD authentication failed") from None
