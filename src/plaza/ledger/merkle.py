"""Merkle root of an ordered list of message ids, as milestones commit to it.

Leaves and inner nodes are hashed with distinct prefixes (0x00, 0x01) so a leaf
can never pass for a node; the list splits at the largest power of two below its
length, as in RFC 6962, so the tree shape depends on the count alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = ["EMPTY_ROOT", "merkle_root"]

EMPTY_ROOT = hashlib.blake2b(b"", digest_size=32).digest()


def _hash(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def merkle_root(ids: Sequence[bytes]) -> bytes:
    if not ids:
        return EMPTY_ROOT
    level = [_hash(b"\x00" + leaf) for leaf in ids]
    return _root_of(level)


def _root_of(hashes: list[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    return _hash(b"\x01" + _root_of(hashes[:split]) + _root_of(hashes[split:]))
