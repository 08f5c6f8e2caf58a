"""Sealed boxes and XChaCha20-Poly1305 AEAD."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaza.crypto import (
    AEAD_KEY_SIZE,
    DecryptionFailed,
    EncryptionKey,
    InvalidKey,
    aead_decrypt,
    aead_encrypt,
    open_sealed,
    seal,
)

RECIPIENT = EncryptionKey.from_seed(bytes(range(32)))
AEAD_KEY = bytes(range(AEAD_KEY_SIZE))


@given(st.binary(max_size=1024))
def test_sealed_box_roundtrip(plaintext: bytes) -> None:
    ciphertext = seal(RECIPIENT.public_key, plaintext)
    assert len(ciphertext) == len(plaintext) + 48  # ephemeral key + MAC
    assert open_sealed(RECIPIENT, ciphertext) == plaintext


def test_sealed_box_is_randomised() -> None:
    assert seal(RECIPIENT.public_key, b"hi") != seal(RECIPIENT.public_key, b"hi")


def test_sealed_box_rejects_wrong_key() -> None:
    ciphertext = seal(RECIPIENT.public_key, b"for your eyes only")
    with pytest.raises(DecryptionFailed):
        open_sealed(EncryptionKey.generate(), ciphertext)


@pytest.mark.parametrize("position", [0, 31, 32, 47, -1])
def test_sealed_box_rejects_tampering(position: int) -> None:
    ciphertext = bytearray(seal(RECIPIENT.public_key, b"payload"))
    ciphertext[position] ^= 0x01
    with pytest.raises(DecryptionFailed):
        open_sealed(RECIPIENT, bytes(ciphertext))


@pytest.mark.parametrize("size", [0, 1, 47])
def test_sealed_box_rejects_truncated_input(size: int) -> None:
    with pytest.raises(DecryptionFailed):
        open_sealed(RECIPIENT, b"\x00" * size)


@given(plaintext=st.binary(max_size=1024), associated_data=st.binary(max_size=64))
def test_aead_roundtrip(plaintext: bytes, associated_data: bytes) -> None:
    blob = aead_encrypt(AEAD_KEY, plaintext, associated_data)
    assert len(blob) == 24 + len(plaintext) + 16
    assert aead_decrypt(AEAD_KEY, blob, associated_data) == plaintext


def test_aead_nonce_is_random() -> None:
    first, second = aead_encrypt(AEAD_KEY, b"same"), aead_encrypt(AEAD_KEY, b"same")
    assert first[:24] != second[:24]
    assert first != second


@given(data=st.data(), plaintext=st.binary(max_size=64))
def test_aead_detects_any_single_bit_flip(data: st.DataObject, plaintext: bytes) -> None:
    blob = bytearray(aead_encrypt(AEAD_KEY, plaintext, b"ad"))
    position = data.draw(st.integers(min_value=0, max_value=len(blob) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=7))
    blob[position] ^= 1 << bit
    with pytest.raises(DecryptionFailed):
        aead_decrypt(AEAD_KEY, bytes(blob), b"ad")


def test_aead_rejects_wrong_associated_data_and_wrong_key() -> None:
    blob = aead_encrypt(AEAD_KEY, b"secret", b"record-1")
    with pytest.raises(DecryptionFailed):
        aead_decrypt(AEAD_KEY, blob, b"record-2")
    with pytest.raises(DecryptionFailed):
        aead_decrypt(AEAD_KEY, blob)
    with pytest.raises(DecryptionFailed):
        aead_decrypt(bytes(AEAD_KEY_SIZE), blob, b"record-1")


@pytest.mark.parametrize("size", [0, 24, 39])
def test_aead_rejects_truncated_blob(size: int) -> None:
    with pytest.raises(DecryptionFailed):
        aead_decrypt(AEAD_KEY, b"\x00" * size)


@pytest.mark.parametrize("size", [0, 16, 31, 33])
def test_aead_rejects_wrong_key_size(size: int) -> None:
    with pytest.raises(InvalidKey, match="32 bytes"):
        aead_encrypt(b"\x00" * size, b"x")
    with pytest.raises(InvalidKey, match="32 bytes"):
        aead_decrypt(b"\x00" * size, b"\x00" * 64)
