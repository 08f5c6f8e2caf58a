"""Ed25519 signing keys and X25519 encryption keys.

Two key types exist because signing and encryption must never share key
material: a signature key that could also decrypt would let a bug in one
protocol become a break of the other.

Private key classes keep their secret in a slot and show only a short
public-key prefix in ``repr``/``str``, so logging an object cannot leak it.
Exporting a secret takes a deliberately named call (``seed_bytes``).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Self

import nacl.public
import nacl.signing
import nacl.utils
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from .address import Address
from .errors import BadSignature, InvalidKey

__all__ = [
    "PUBLIC_KEY_SIZE",
    "SEED_SIZE",
    "SIGNATURE_SIZE",
    "EncryptionKey",
    "EncryptionPublicKey",
    "PublicKey",
    "SigningKey",
    "verify_signature",
]

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
SEED_SIZE = 32
_REPR_PREFIX = 16  # hex characters of the public key shown by private-key reprs


def _require_size(material: bytes, size: int, what: str) -> None:
    """Reject wrongly sized key material, naming only its length, never its bytes."""
    if not isinstance(material, bytes) or len(material) != size:
        got = len(material) if isinstance(material, bytes) else type(material).__name__
        raise InvalidKey(f"{what} must be {size} bytes, got {got}")


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Return whether ``signature`` is a valid Ed25519 signature of ``message``.

    This is the ledger's hot path (~20k messages/s), so it answers with a
    bool instead of raising and builds no objects. It never raises for any
    ``bytes`` arguments: wrong lengths are simply invalid. The length check
    is also a safety check, since libsodium reads exactly 32 key bytes.
    """
    # Measured with timeit, 200-byte message, PyNaCl 1.6.2 / libsodium, one
    # core of the shared 2-vCPU dev box, best of 7 x 20k calls:
    #   nacl.bindings.crypto_sign_open(sig + msg, pk)  18.6k/s (53.8 us)  <- used
    #   nacl.signing.VerifyKey(pk).verify(msg, sig)    18.3k/s (54.5 us)
    #   private nacl._sodium.lib.crypto_sign_open      17.2k-18.9k/s (noise)
    #   this function, valid / invalid signature       ~18.2k/s / ~18.5k/s
    # PyNaCl 1.6 exposes no crypto_sign_verify_detached; the curve arithmetic
    # dominates and wrappers cost < 2 %, so the private lib is not worth it.
    # cffi releases the GIL during the C call, so throughput beyond one core
    # needs a thread pool (scaling was not measurable on the loaded dev box).
    if len(public_key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        crypto_sign_open(signature + message, public_key)
    except BadSignatureError:
        return False
    return True


@dataclass(frozen=True, slots=True, repr=False)
class PublicKey:
    """An Ed25519 public key: verifies signatures and names an address."""

    raw: bytes

    def __post_init__(self) -> None:
        _require_size(self.raw, PUBLIC_KEY_SIZE, "Ed25519 public key")

    def verify(self, message: bytes, signature: bytes) -> None:
        """Raise :class:`BadSignature` unless ``signature`` signs ``message``."""
        if not verify_signature(self.raw, message, signature):
            raise BadSignature("signature does not match message and public key")

    @property
    def address(self) -> Address:
        """The account address owned by this key."""
        return Address.from_public_key(self.raw)

    def __str__(self) -> str:
        return self.raw.hex()

    def __repr__(self) -> str:
        return f"PublicKey('{self}')"


class SigningKey:
    """An Ed25519 private key, created from a 32-byte seed."""

    __slots__ = ("_key", "_public_key")

    def __init__(self, seed: bytes) -> None:
        _require_size(seed, SEED_SIZE, "Ed25519 seed")
        self._key = nacl.signing.SigningKey(seed)
        self._public_key = PublicKey(bytes(self._key.verify_key))

    @classmethod
    def generate(cls) -> Self:
        """Create a key from fresh operating-system randomness."""
        return cls(nacl.utils.random(SEED_SIZE))

    @classmethod
    def from_seed(cls, seed: bytes) -> Self:
        """Recreate the key deterministically from its 32-byte seed."""
        return cls(seed)

    @property
    def public_key(self) -> PublicKey:
        return self._public_key

    @property
    def seed_bytes(self) -> bytes:
        """The secret seed. Named loudly because calling it exports the key."""
        return bytes(self._key)

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte detached Ed25519 signature of ``message``."""
        return self._key.sign(message).signature

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SigningKey):
            return NotImplemented
        return hmac.compare_digest(self.seed_bytes, other.seed_bytes)

    def __hash__(self) -> int:
        return hash(self._public_key)  # public, so hashing it leaks nothing

    def __repr__(self) -> str:
        return f"SigningKey(public_key={str(self._public_key)[:_REPR_PREFIX]}…)"


@dataclass(frozen=True, slots=True, repr=False)
class EncryptionPublicKey:
    """An X25519 public key: anyone may seal messages to its owner."""

    raw: bytes

    def __post_init__(self) -> None:
        _require_size(self.raw, PUBLIC_KEY_SIZE, "X25519 public key")

    def __str__(self) -> str:
        return self.raw.hex()

    def __repr__(self) -> str:
        return f"EncryptionPublicKey('{self}')"


class EncryptionKey:
    """An X25519 private key, created from a 32-byte seed.

    The key is expanded from the seed the way libsodium's
    ``crypto_box_seed_keypair`` does, and the seed is what gets exported,
    mirroring :class:`SigningKey`.
    """

    __slots__ = ("_key", "_public_key", "_seed")

    def __init__(self, seed: bytes) -> None:
        _require_size(seed, SEED_SIZE, "X25519 seed")
        self._seed = seed
        self._key = nacl.public.PrivateKey.from_seed(seed)
        self._public_key = EncryptionPublicKey(bytes(self._key.public_key))

    @classmethod
    def generate(cls) -> Self:
        """Create a key from fresh operating-system randomness."""
        return cls(nacl.utils.random(SEED_SIZE))

    @classmethod
    def from_seed(cls, seed: bytes) -> Self:
        """Recreate the key deterministically from its 32-byte seed."""
        return cls(seed)

    @property
    def public_key(self) -> EncryptionPublicKey:
        return self._public_key

    @property
    def seed_bytes(self) -> bytes:
        """The secret seed. Named loudly because calling it exports the key."""
        return self._seed

    def _as_nacl(self) -> nacl.public.PrivateKey:
        """Package-internal: lets :mod:`.sealed` decrypt without exporting the secret."""
        return self._key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EncryptionKey):
            return NotImplemented
        return hmac.compare_digest(self._seed, other._seed)

    def __hash__(self) -> int:
        return hash(self._public_key)

    def __repr__(self) -> str:
        return f"EncryptionKey(public_key={str(self._public_key)[:_REPR_PREFIX]}…)"
