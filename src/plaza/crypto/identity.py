"""An identity: the signing key and the encryption key of one account.

Keys are derived from a :class:`~.seed.Seed` with keyed BLAKE2b::

    signing_seed    = BLAKE2b-256(key=seed, person="plaza-sign-v1", account || index)
    encryption_seed = BLAKE2b-256(key=seed, person="plaza-box-v1",  account || index)

with ``account`` and ``index`` as 4-byte big-endian integers. Keyed BLAKE2b
is a PRF, so each output is independent of the others: learning one
derived key reveals nothing about the seed or about any sibling key. The
distinct ``person`` tags keep signing and encryption keys apart even for
the same path, and the fixed-width path encoding makes every
``(account, index)`` pair map to a distinct input.

The ``-v1`` suffix lets the scheme change later without ever re-deriving
an old key under a new rule by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from .address import Address
from .hashing import blake2b
from .keys import EncryptionKey, PublicKey, SigningKey
from .seed import Seed

__all__ = ["Identity"]

_SIGNING_PERSON = b"plaza-sign-v1"
_ENCRYPTION_PERSON = b"plaza-box-v1"
_PATH_FIELD_SIZE = 4
_PATH_FIELD_LIMIT = 1 << (8 * _PATH_FIELD_SIZE)


def _derivation_path(account: int, index: int) -> bytes:
    """Encode the path at fixed width so distinct pairs never share an encoding."""
    for name, value in (("account", account), ("index", index)):
        if not 0 <= value < _PATH_FIELD_LIMIT:
            raise ValueError(f"{name} must be in [0, 2**32), got {value}")
    return account.to_bytes(_PATH_FIELD_SIZE, "big") + index.to_bytes(_PATH_FIELD_SIZE, "big")


@dataclass(frozen=True, slots=True, repr=False)
class Identity:
    """The pair of private keys that acts for one account."""

    signing: SigningKey
    encryption: EncryptionKey

    @classmethod
    def from_seed(cls, seed: Seed, *, account: int = 0, index: int = 0) -> Self:
        """Derive the identity at ``(account, index)``; same inputs, same keys."""
        path = _derivation_path(account, index)
        secret = seed.to_bytes()
        return cls(
            signing=SigningKey(blake2b(path, key=secret, person=_SIGNING_PERSON)),
            encryption=EncryptionKey(blake2b(path, key=secret, person=_ENCRYPTION_PERSON)),
        )

    @classmethod
    def generate(cls) -> Self:
        """Create a throwaway identity with unrelated random keys.

        No seed exists afterwards, so it cannot be recovered from a phrase;
        use :meth:`from_seed` for anything that must survive a restart.
        """
        return cls(signing=SigningKey.generate(), encryption=EncryptionKey.generate())

    @property
    def public_key(self) -> PublicKey:
        """The Ed25519 public key others verify this identity's messages with."""
        return self.signing.public_key

    @property
    def address(self) -> Address:
        """The account address this identity controls."""
        return self.signing.public_key.address

    def __repr__(self) -> str:
        return f"Identity(address={self.address})"
