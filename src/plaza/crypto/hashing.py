"""BLAKE2b hashing, the one hash function of the ledger.

BLAKE2b is used everywhere a digest is needed (message ids, addresses, key
derivation) so that the system depends on a single, well-analysed hash.
The standard library's implementation is used rather than libsodium's
because it avoids the FFI round trip, which matters for the many small
inputs the ledger hashes.

Domain separation is done with the ``person`` parameter instead of ad-hoc
prefixes: two digests computed for different purposes can then never
collide, even over identical input.
"""

from __future__ import annotations

import hashlib

__all__ = ["blake2b", "blake2b_256"]


def blake2b_256(data: bytes) -> bytes:
    """Return the 32-byte BLAKE2b digest of ``data`` (the ledger's default hash)."""
    return hashlib.blake2b(data, digest_size=32).digest()


def blake2b(data: bytes, *, size: int = 32, key: bytes = b"", person: bytes = b"") -> bytes:
    """Return a ``size``-byte BLAKE2b digest, optionally keyed and personalised.

    ``key`` turns the hash into a MAC / PRF (up to 64 bytes); ``person`` is a
    domain-separation tag (up to 16 bytes). Out-of-range arguments raise
    ``ValueError`` because they are programming errors, not bad input.
    """
    return hashlib.blake2b(data, digest_size=size, key=key, person=person).digest()
