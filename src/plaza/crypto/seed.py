"""The root secret of an identity, and its 24-word recovery phrase.

Every key an operator owns is derived from one :class:`Seed`, so backing up
the seed (as a BIP-39 phrase on paper) backs up everything.

The phrase encodes the 32 seed bytes directly as BIP-39 *entropy*. It is
not stretched through BIP-39's PBKDF2 step: plaza derives its own keys
(see :mod:`.identity`) and never needs a BIP-32 master seed, so the phrase
is purely a human-friendly, checksummed spelling of the seed.
"""

from __future__ import annotations

import functools
import hmac
import unicodedata
from typing import Self

import nacl.utils
from mnemonic import Mnemonic

from .errors import InvalidKey, InvalidMnemonic

__all__ = ["MNEMONIC_WORDS", "SEED_SIZE", "Seed"]

SEED_SIZE = 32
MNEMONIC_WORDS = 24  # 256 bits of entropy + 8 checksum bits, 11 bits per word


@functools.cache
def _bip39() -> tuple[Mnemonic, frozenset[str]]:
    """Load the English wordlist once, on first use rather than at import."""
    codec = Mnemonic("english")
    return codec, frozenset(codec.wordlist)


class Seed:
    """Thirty-two secret random bytes from which an identity's keys derive.

    Equality is by value and constant-time. Seeds are deliberately
    unhashable: there is no need to key a dict by a secret, and not hashing
    it keeps it out of one more place.
    """

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes) -> None:
        if not isinstance(raw, bytes) or len(raw) != SEED_SIZE:
            raise InvalidKey(f"seed must be {SEED_SIZE} bytes")
        self._raw = raw

    @classmethod
    def generate(cls) -> Self:
        """Draw a new seed from the operating system's CSPRNG."""
        return cls(nacl.utils.random(SEED_SIZE))

    @classmethod
    def from_hex(cls, text: str) -> Self:
        """Load a seed exported with :meth:`hex`."""
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise InvalidKey("seed is not valid hexadecimal") from None
        return cls(raw)

    @classmethod
    def from_mnemonic(cls, words: str) -> Self:
        """Recover a seed from its 24-word English BIP-39 phrase.

        Case and surrounding whitespace are forgiven, because people type
        phrases back from paper. Raises :class:`InvalidMnemonic` naming the
        first problem: word count, an unknown word, or the checksum.
        """
        normalized = unicodedata.normalize("NFKD", words).lower().split()
        if len(normalized) != MNEMONIC_WORDS:
            raise InvalidMnemonic(f"wrong word count {len(normalized)}, expected {MNEMONIC_WORDS}")
        codec, vocabulary = _bip39()
        for position, word in enumerate(normalized, start=1):
            if word not in vocabulary:
                raise InvalidMnemonic(f"word {position} is not in the word list")  # never echo it
        try:
            entropy = codec.to_entropy(normalized)
        except ValueError:
            raise InvalidMnemonic("bad checksum") from None
        return cls(bytes(entropy))

    def to_mnemonic(self) -> str:
        """Spell the seed as 24 space-separated English BIP-39 words."""
        codec, _ = _bip39()
        return codec.to_mnemonic(self._raw)

    def hex(self) -> str:
        """Export the secret as hex. Explicit by design; ``str()`` never does this."""
        return self._raw.hex()

    def to_bytes(self) -> bytes:
        """Export the secret as raw bytes, e.g. to key a derivation function."""
        return self._raw

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Seed):
            return NotImplemented
        return hmac.compare_digest(self._raw, other._raw)

    __hash__ = None  # type: ignore[assignment]  # see class docstring

    def __repr__(self) -> str:
        return "Seed(<secret>)"
