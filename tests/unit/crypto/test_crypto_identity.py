"""Deterministic, independent derivation of identities from a seed."""

import hashlib

import pytest

from plaza.crypto import Address, Identity, Seed

SEED = Seed(bytes(range(32)))


def test_same_seed_and_path_give_the_same_identity() -> None:
    first = Identity.from_seed(SEED, account=3, index=7)
    second = Identity.from_seed(Seed(bytes(range(32))), account=3, index=7)
    assert first == second
    assert first.public_key == second.public_key
    assert first.encryption.public_key == second.encryption.public_key


def test_every_path_gives_distinct_keys() -> None:
    paths = [(0, 0), (0, 1), (1, 0), (1, 1), (0, 256), (256, 0), (2**32 - 1, 2**32 - 1)]
    identities = [Identity.from_seed(SEED, account=a, index=i) for a, i in paths]
    signing = {identity.public_key for identity in identities}
    encryption = {identity.encryption.public_key for identity in identities}
    assert len(signing) == len(paths)
    assert len(encryption) == len(paths)


def test_different_seeds_give_different_identities() -> None:
    assert Identity.from_seed(SEED) != Identity.from_seed(Seed(bytes(32)))


def test_signing_and_encryption_seeds_are_independent() -> None:
    identity = Identity.from_seed(SEED)
    assert identity.signing.seed_bytes != identity.encryption.seed_bytes
    assert SEED.to_bytes() not in {identity.signing.seed_bytes, identity.encryption.seed_bytes}


def test_derivation_follows_the_documented_scheme() -> None:
    path = (1).to_bytes(4, "big") + (2).to_bytes(4, "big")
    identity = Identity.from_seed(SEED, account=1, index=2)

    def derive(person: bytes) -> bytes:
        return hashlib.blake2b(path, digest_size=32, key=SEED.to_bytes(), person=person).digest()

    assert identity.signing.seed_bytes == derive(b"plaza-sign-v1")
    assert identity.encryption.seed_bytes == derive(b"plaza-box-v1")


@pytest.mark.parametrize(
    ("account", "index", "signing", "encryption", "address"),
    [
        (
            0,
            0,
            "eec49d2bbfa22d86644166622f95639b695ca4bf5ae9dde3de37e59cef1d2f5b",
            "4dd7932f8116407111684ac5fed8a11d6d1ff875374e825cfa9427989d175336",
            "plz1g48me7vxw77rt093w2qezsneh2f6jfy0n5z7w77mwkfgkd6t5gcsaq3q8z",
        ),
        (
            1,
            2,
            "b3843b3196fdf023624a2f382c433e051e2ee67af75c5b371f253ccd7db070b1",
            "b0ce32cedc584d15819f83fe4c1eb1cfe0620e91043d956f7e7238c7e1357149",
            "plz1z3h4x2457n3t3ent0kvnqjpr93juwg6kv4ghh9n7cw3s8wnauxusug9c7n",
        ),
    ],
)
def test_known_answer_vectors(
    account: int, index: int, signing: str, encryption: str, address: str
) -> None:
    """Pinned once from seed 00..1f; a change here means every user's keys moved."""
    identity = Identity.from_seed(SEED, account=account, index=index)
    assert str(identity.public_key) == signing
    assert str(identity.encryption.public_key) == encryption
    assert str(identity.address) == address
    assert identity.address == Address.parse(address)


@pytest.mark.parametrize(("account", "index"), [(-1, 0), (0, -1), (2**32, 0), (0, 2**32)])
def test_path_components_must_fit_in_32_bits(account: int, index: int) -> None:
    with pytest.raises(ValueError, match=r"must be in \[0, 2\*\*32\)"):
        Identity.from_seed(SEED, account=account, index=index)


def test_generate_creates_usable_unrelated_keys() -> None:
    identity = Identity.generate()
    signature = identity.signing.sign(b"hello")
    identity.public_key.verify(b"hello", signature)
    assert identity.address == identity.public_key.address
    assert identity != Identity.generate()
