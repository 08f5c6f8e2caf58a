"""Proof of work: a small cost per message against spam.

The score of a nonce is the number of leading zero bits of
``BLAKE2b-256(BLAKE2b-256(essence || signature) || nonce_le64)``. The work covers
the signature but is not covered by it, so a node can do the work for a light
client that signed its message (what IOTA's ``attachToTangle`` did).

Which work a node asks for is a strategy: :class:`Blake2bWork` for real
networks, :class:`NoWork` for tests, switched on explicitly, never by default.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

__all__ = ["Blake2bWork", "NoWork", "ProofOfWork", "pow_base", "pow_score"]

_SCORE_BYTES = 8


def pow_base(essence_and_signature: bytes) -> bytes:
    return hashlib.blake2b(essence_and_signature, digest_size=32).digest()


def pow_score(base: bytes, nonce: int) -> int:
    """Leading zero bits of the work hash, counted over its first 64 bits."""
    digest = hashlib.blake2b(base + nonce.to_bytes(8, "little"), digest_size=32).digest()
    head = int.from_bytes(digest[:_SCORE_BYTES], "big")
    return 64 - head.bit_length()


class ProofOfWork(Protocol):
    """The work a network asks of every message."""

    @property
    def difficulty(self) -> int:
        """Leading zero bits a message needs to be accepted."""
        ...

    def is_sufficient(self, base: bytes, nonce: int) -> bool:
        """Whether ``nonce`` does enough work over ``base``."""
        ...

    def solve(self, base: bytes) -> int:
        """Find a nonce that does enough work over ``base``."""
        ...


class Blake2bWork:
    """Real work: about ``2**difficulty`` BLAKE2b evaluations per message."""

    def __init__(self, difficulty: int) -> None:
        if not 0 <= difficulty <= 64:
            raise ValueError(f"difficulty must be 0 to 64 bits, got {difficulty}")
        self._difficulty = difficulty
        self._limit = 1 << (64 - difficulty)

    @property
    def difficulty(self) -> int:
        return self._difficulty

    def is_sufficient(self, base: bytes, nonce: int) -> bool:
        return pow_score(base, nonce) >= self._difficulty

    def solve(self, base: bytes) -> int:
        # A prefixed hasher copied per try is about 30% faster than hashing base+nonce afresh.
        prefix = hashlib.blake2b(base, digest_size=32)
        limit = self._limit
        nonce = 0
        while True:
            hasher = prefix.copy()
            hasher.update(nonce.to_bytes(8, "little"))
            if int.from_bytes(hasher.digest()[:_SCORE_BYTES], "big") < limit:
                return nonce
            nonce += 1

    def __repr__(self) -> str:
        return f"Blake2bWork(difficulty={self._difficulty})"


class NoWork:
    """Zero-cost work for tests: every nonce is enough, and solving costs nothing."""

    difficulty = 0

    def is_sufficient(self, base: bytes, nonce: int) -> bool:
        return True

    def solve(self, base: bytes) -> int:
        return 0

    def __repr__(self) -> str:
        return "NoWork()"
