"""Secret material never shows up in repr, str, format, or error messages."""

import pytest

from plaza.crypto import EncryptionKey, Identity, InvalidKey, Seed, SigningKey


def _secret_spellings(secret: bytes) -> list[str]:
    return [secret.hex(), secret.hex().upper(), repr(secret), str(list(secret))]


def _assert_hidden(obj: object, secret: bytes) -> None:
    for rendered in (repr(obj), str(obj), f"{obj}", f"{obj!r}", f"{[obj]}"):
        for spelling in _secret_spellings(secret):
            assert spelling not in rendered
        assert secret.hex()[:8] not in rendered


SEED = Seed(bytes(range(200, 232)))


def test_seed_is_hidden() -> None:
    _assert_hidden(SEED, SEED.to_bytes())
    assert repr(SEED) == "Seed(<secret>)"


def test_signing_key_repr_shows_only_a_public_prefix() -> None:
    key = SigningKey.from_seed(SEED.to_bytes())
    _assert_hidden(key, key.seed_bytes)
    assert repr(key) == f"SigningKey(public_key={str(key.public_key)[:16]}…)"


def test_encryption_key_is_hidden() -> None:
    key = EncryptionKey.from_seed(SEED.to_bytes())
    _assert_hidden(key, key.seed_bytes)
    assert str(key.public_key)[:16] in repr(key)


def test_identity_hides_both_keys_and_the_seed() -> None:
    identity = Identity.from_seed(SEED)
    for secret in (identity.signing.seed_bytes, identity.encryption.seed_bytes, SEED.to_bytes()):
        _assert_hidden(identity, secret)
    assert repr(identity) == f"Identity(address={identity.address})"


@pytest.mark.parametrize("bad", [bytes(range(200, 231)), bytes(range(200, 233))])
def test_errors_about_seeds_do_not_echo_them(bad: bytes) -> None:
    for constructor in (Seed, SigningKey, EncryptionKey):
        with pytest.raises(InvalidKey) as caught:
            constructor(bad)
        message = str(caught.value)
        assert bad.hex() not in message
        assert repr(bad) not in message


def test_bad_hex_error_does_not_echo_input() -> None:
    secret_like = "ab" * 31 + "zz"
    with pytest.raises(InvalidKey) as caught:
        Seed.from_hex(secret_like)
    assert secret_like not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
