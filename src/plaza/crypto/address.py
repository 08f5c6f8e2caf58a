"""Account addresses: a hash of a public key, shown to humans as bech32m.

An address is the BLAKE2b-256 of the Ed25519 public key rather than the
key itself so that its form does not change if the signature scheme ever
does, and so that every address has the same fixed 32-byte shape.

The text form is bech32m with the prefix ``plz``: a typo in a pasted or
dictated address is caught by the checksum instead of silently sending
value to a different account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from . import _bech32
from .errors import InvalidAddress, InvalidKey
from .hashing import blake2b

__all__ = ["ADDRESS_PREFIX", "ADDRESS_SIZE", "Address"]

ADDRESS_PREFIX = "plz"
ADDRESS_SIZE = 32
_PUBLIC_KEY_SIZE = 32
_PERSON = b"plaza-address"


@dataclass(frozen=True, slots=True, order=True)
class Address:
    """A 32-byte account address; ``str()`` gives the ``plz1…`` text form.

    Ordering compares the raw bytes, which gives the ledger a stable,
    platform-independent sort order for addresses.
    """

    raw: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes) or len(self.raw) != ADDRESS_SIZE:
            raise InvalidAddress("wrong length")

    @classmethod
    def from_public_key(cls, public_key: bytes) -> Self:
        """Derive the address that owns the Ed25519 ``public_key``."""
        if len(public_key) != _PUBLIC_KEY_SIZE:
            raise InvalidKey(f"public key must be {_PUBLIC_KEY_SIZE} bytes, got {len(public_key)}")
        return cls(blake2b(public_key, size=ADDRESS_SIZE, person=_PERSON))

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse the bech32m text form, accepting all-lower or all-upper case.

        Raises :class:`InvalidAddress` whose ``reason`` names the first
        problem found (checksum, prefix, length, characters, case, …).
        """
        prefix, symbols = _bech32.decode(text)
        if prefix != ADDRESS_PREFIX:
            raise InvalidAddress(f"wrong prefix '{prefix}', expected '{ADDRESS_PREFIX}'")
        raw = bytes(_bech32.convertbits(symbols, 5, 8, pad=False))
        if len(raw) != ADDRESS_SIZE:
            raise InvalidAddress("wrong length")
        return cls(raw)

    def __str__(self) -> str:
        return _bech32.encode_bytes(ADDRESS_PREFIX, self.raw)

    def __repr__(self) -> str:
        return f"Address('{self}')"
