"""Ed25519 and X25519 keys: known answers, sign/verify, tamper detection."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaza.crypto import (
    BadSignature,
    CryptoError,
    EncryptionKey,
    EncryptionPublicKey,
    InvalidKey,
    PublicKey,
    SigningKey,
    verify_signature,
)

# RFC 8032, section 7.1, TEST 1 (empty message).
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.from_seed(bytes(range(32)))


def test_rfc8032_known_answer() -> None:
    key = SigningKey.from_seed(RFC8032_SEED)
    assert key.public_key.raw == RFC8032_PUBLIC
    assert key.sign(b"") == RFC8032_SIGNATURE
    assert verify_signature(RFC8032_PUBLIC, b"", RFC8032_SIGNATURE)


@given(st.binary(max_size=512))
def test_sign_verify_roundtrip(message: bytes) -> None:
    key = SigningKey.from_seed(RFC8032_SEED)
    signature = key.sign(message)
    assert len(signature) == 64
    assert verify_signature(key.public_key.raw, message, signature)
    key.public_key.verify(message, signature)


def test_tampered_message_signature_or_key_is_rejected(key: SigningKey) -> None:
    message = b"transfer 10 to plz1..."
    signature = key.sign(message)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    other = SigningKey.generate().public_key.raw
    assert not verify_signature(key.public_key.raw, message + b"0", signature)
    assert not verify_signature(key.public_key.raw, message, flipped)
    assert not verify_signature(other, message, signature)
    with pytest.raises(BadSignature):
        key.public_key.verify(message + b"0", signature)


@pytest.mark.parametrize(("pk_size", "sig_size"), [(0, 64), (31, 64), (33, 64), (32, 63), (32, 65)])
def test_wrong_lengths_are_false_not_errors(key: SigningKey, pk_size: int, sig_size: int) -> None:
    signature = (key.sign(b"m") * 2)[:sig_size]
    public = (key.public_key.raw * 2)[:pk_size]
    assert verify_signature(public, b"m", signature) is False


@given(public_key=st.binary(max_size=40), message=st.binary(), signature=st.binary(max_size=80))
def test_verify_signature_never_raises_on_garbage(
    public_key: bytes, message: bytes, signature: bytes
) -> None:
    assert verify_signature(public_key, message, signature) in {True, False}


@given(
    public_key=st.binary(min_size=32, max_size=32), signature=st.binary(min_size=64, max_size=64)
)
def test_verify_signature_rejects_random_well_shaped_input(
    public_key: bytes, signature: bytes
) -> None:
    assert verify_signature(public_key, b"message", signature) is False


def test_signing_is_deterministic_and_key_equality_is_by_value(key: SigningKey) -> None:
    again = SigningKey.from_seed(key.seed_bytes)
    assert again == key
    assert hash(again) == hash(key)
    assert again.sign(b"m") == key.sign(b"m")
    assert SigningKey.generate() != key
    assert key != "not a key"


def test_public_key_value_object(key: SigningKey) -> None:
    public = key.public_key
    assert str(public) == public.raw.hex()
    assert repr(public) == f"PublicKey('{public.raw.hex()}')"
    assert PublicKey(public.raw) == public
    assert public.address.raw != public.raw


@pytest.mark.parametrize("cls", [PublicKey, EncryptionPublicKey])
@pytest.mark.parametrize("raw", [b"", b"\x01" * 31, b"\x01" * 33])
def test_public_keys_validate_length(cls: type[PublicKey], raw: bytes) -> None:
    with pytest.raises(InvalidKey, match=f"32 bytes, got {len(raw)}"):
        cls(raw)


@pytest.mark.parametrize("cls", [SigningKey, EncryptionKey])
def test_private_keys_validate_seed_length(cls: type[SigningKey]) -> None:
    with pytest.raises(InvalidKey, match="32 bytes, got 16"):
        cls.from_seed(b"\x01" * 16)


def test_encryption_key_is_deterministic_from_seed() -> None:
    seed = bytes(range(32))
    key = EncryptionKey.from_seed(seed)
    assert key == EncryptionKey.from_seed(seed)
    assert hash(key) == hash(EncryptionKey.from_seed(seed))
    assert key.seed_bytes == seed
    assert key.public_key.raw != SigningKey.from_seed(seed).public_key.raw
    assert EncryptionKey.generate() != key
    assert str(key.public_key) == key.public_key.raw.hex()


def test_errors_share_one_family() -> None:
    assert issubclass(BadSignature, CryptoError)
    assert issubclass(InvalidKey, CryptoError)
