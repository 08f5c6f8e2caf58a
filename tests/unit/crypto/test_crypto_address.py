"""Addresses: derivation, text round trip, and rejection of every kind of typo."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from plaza.crypto import Address, InvalidAddress, InvalidKey, _bech32, blake2b

raw_addresses = st.binary(min_size=32, max_size=32)
SAMPLE = Address(bytes(range(32)))


def test_from_public_key_is_personalised_blake2b() -> None:
    public_key = bytes(range(100, 132))
    expected = blake2b(public_key, person=b"plaza-address")
    assert Address.from_public_key(public_key).raw == expected


def test_from_public_key_rejects_wrong_length() -> None:
    with pytest.raises(InvalidKey, match="32 bytes, got 31"):
        Address.from_public_key(b"\x00" * 31)


@pytest.mark.parametrize("size", [0, 20, 31, 33])
def test_constructor_rejects_wrong_length(size: int) -> None:
    with pytest.raises(InvalidAddress) as caught:
        Address(b"\x00" * size)
    assert caught.value.reason == "wrong length"


@given(raw_addresses)
def test_text_roundtrip(raw: bytes) -> None:
    address = Address(raw)
    text = str(address)
    assert text.startswith("plz1")
    assert len(text) == 62
    assert Address.parse(text) == address
    assert Address.parse(text.upper()) == address


def test_repr_shows_text_form() -> None:
    assert repr(SAMPLE) == f"Address('{SAMPLE}')"


def test_ordering_follows_raw_bytes() -> None:
    low, high = Address(b"\x00" * 32), Address(b"\x01" + b"\x00" * 31)
    assert low < high
    assert sorted([high, low]) == [low, high]


def test_mixed_case_is_rejected() -> None:
    text = str(SAMPLE)
    with pytest.raises(InvalidAddress) as caught:
        Address.parse(text[:10] + text[10:].upper())
    assert caught.value.reason == "mixed case"


def test_wrong_prefix_is_named() -> None:
    foreign = _bech32.encode("xyz", _bech32.convertbits(SAMPLE.raw, 8, 5, pad=True))
    with pytest.raises(InvalidAddress) as caught:
        Address.parse(foreign)
    assert caught.value.reason == "wrong prefix 'xyz', expected 'plz'"
    assert str(caught.value) == "invalid address: wrong prefix 'xyz', expected 'plz'"


@pytest.mark.parametrize("size", [20, 31, 33])
def test_wrong_payload_length_is_rejected(size: int) -> None:
    text = _bech32.encode("plz", _bech32.convertbits(b"\x07" * size, 8, 5, pad=True))
    with pytest.raises(InvalidAddress) as caught:
        Address.parse(text)
    assert caught.value.reason == "wrong length"


def test_empty_and_garbage_text_are_rejected() -> None:
    for text in ["", "plz", "plz1", "hello world", "plz1" + "q" * 200]:
        with pytest.raises(InvalidAddress):
            Address.parse(text)


def _substitutions(text: str, alphabet: str) -> list[str]:
    return [
        text[:i] + char + text[i + 1 :]
        for i in range(len(text))
        for char in alphabet
        if char != text[i]
    ]


def test_every_single_substitution_of_a_sample_is_detected() -> None:
    text = str(SAMPLE)
    alphabet = _bech32.CHARSET + "1bio" + _bech32.CHARSET.upper()
    for typo in _substitutions(text, alphabet):
        with pytest.raises(InvalidAddress):
            Address.parse(typo)


@given(
    raw=raw_addresses,
    position=st.integers(min_value=0, max_value=61),
    replacement=st.characters(min_codepoint=0, max_codepoint=0x2FF),
)
def test_any_single_substitution_is_detected(raw: bytes, position: int, replacement: str) -> None:
    text = str(Address(raw))
    assume(replacement != text[position])
    typo = text[:position] + replacement + text[position + 1 :]
    with pytest.raises(InvalidAddress):
        Address.parse(typo)
