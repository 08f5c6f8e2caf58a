"""The inclusion Merkle root, checked against hand-computed trees (RFC 6962 shape)."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from plaza.ledger.merkle import EMPTY_ROOT, merkle_root


def h(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def leaf(x: bytes) -> bytes:
    return h(b"\x00" + x)


def inner(left: bytes, right: bytes) -> bytes:
    return h(b"\x01" + left + right)


A, B, C, D, E = (bytes([n]) * 32 for n in range(1, 6))


def test_empty() -> None:
    assert merkle_root([]) == EMPTY_ROOT == h(b"")


def test_one_leaf() -> None:
    assert merkle_root([A]) == leaf(A)
    assert merkle_root([A]) != A  # hashed with its prefix, never the id itself


def test_two_leaves() -> None:
    assert merkle_root([A, B]) == inner(leaf(A), leaf(B))
    assert merkle_root([B, A]) != merkle_root([A, B])  # order matters


def test_three_leaves_split_at_two() -> None:
    assert merkle_root([A, B, C]) == inner(inner(leaf(A), leaf(B)), leaf(C))


def test_four_and_five_leaves() -> None:
    four = inner(inner(leaf(A), leaf(B)), inner(leaf(C), leaf(D)))
    assert merkle_root([A, B, C, D]) == four
    assert merkle_root([A, B, C, D, E]) == inner(four, leaf(E))


def test_a_leaf_cannot_pass_for_an_inner_node() -> None:
    # The two children of [A, B] concatenated are not a leaf of the one-leaf tree.
    assert merkle_root([leaf(A) + leaf(B)]) != merkle_root([A, B])


def reference(ids: list[bytes]) -> bytes:
    if not ids:
        return h(b"")
    if len(ids) == 1:
        return leaf(ids[0])
    k = 1
    while k * 2 < len(ids):
        k *= 2
    return inner(reference(ids[:k]), reference(ids[k:]))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), max_size=40))
def test_matches_the_rfc6962_definition(ids: list[bytes]) -> None:
    assert merkle_root(ids) == reference(ids)
