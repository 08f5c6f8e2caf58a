"""Bech32m codec checked against the BIP-350 published test vectors."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaza.crypto import InvalidAddress, _bech32

BIP350_VALID = [
    "A1LQFN3A",
    "a1lqfn3a",
    "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
    "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
    "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
    "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
    "?1v759aa",
]

BIP350_INVALID = [
    ("\x201xj829", "invalid character"),  # HRP character out of range
    ("\x7f1g6xzxy", "invalid character"),  # HRP character out of range
    ("\x801vctc34", "invalid character"),  # HRP character out of range
    (
        "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
        "too long",
    ),
    ("qyrz8wqd2c9m", "missing separator"),
    ("1qyrz8wqd2c9m", "empty prefix"),
    ("y1b0jsk6g", "invalid data character"),
    ("lt1igcx5c0", "invalid data character"),
    ("in1muywd", "checksum too short"),
    ("mm1crxm3i", "invalid data character"),  # invalid character in checksum
    ("au1s5cgom", "invalid data character"),  # invalid character in checksum
    ("M1VUXWEZ", "bad checksum"),  # checksum computed over the upper-case hrp
    ("16plkw9", "empty prefix"),
    ("1p2gdwpf", "empty prefix"),
]

five_bit = st.lists(st.integers(min_value=0, max_value=31), max_size=40)
hrps = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20
).map(str.lower)


@pytest.mark.parametrize("text", BIP350_VALID)
def test_bip350_valid_vectors_decode_and_reencode(text: str) -> None:
    hrp, data = _bech32.decode(text)
    assert _bech32.encode(hrp, data) == text.lower()


@pytest.mark.parametrize(("text", "reason"), BIP350_INVALID)
def test_bip350_invalid_vectors_are_rejected_with_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidAddress) as caught:
        _bech32.decode(text)
    assert caught.value.reason == reason


def test_original_bech32_checksum_is_not_accepted() -> None:
    # BIP-173 (bech32, constant 1) vector: must fail under the bech32m constant.
    with pytest.raises(InvalidAddress, match="bad checksum"):
        _bech32.decode("a12uel5l")


def test_mixed_case_is_rejected() -> None:
    with pytest.raises(InvalidAddress, match="mixed case"):
        _bech32.decode("A1lqfn3a")


@given(hrp=hrps, data=five_bit)
def test_encode_decode_roundtrip(hrp: str, data: list[int]) -> None:
    assert _bech32.decode(_bech32.encode(hrp, data)) == (hrp, data)


@given(st.binary(max_size=64))
def test_convertbits_roundtrip(payload: bytes) -> None:
    symbols = _bech32.convertbits(payload, 8, 5, pad=True)
    assert bytes(_bech32.convertbits(symbols, 5, 8, pad=False)) == payload


def test_convertbits_rejects_nonzero_padding_and_excess_bits() -> None:
    with pytest.raises(InvalidAddress, match="invalid padding"):
        _bech32.convertbits([0, 1], 5, 8, pad=False)  # 10 bits, low 2 bits set
    with pytest.raises(InvalidAddress, match="invalid padding"):
        _bech32.convertbits([0] * 3, 5, 8, pad=False)  # 15 bits: 7 leftover >= 5


def test_convertbits_rejects_out_of_range_values() -> None:
    with pytest.raises(InvalidAddress, match="value out of range"):
        _bech32.convertbits([32], 5, 8, pad=False)


@pytest.mark.parametrize(
    ("hrp", "data"), [("", []), ("a b", []), ("a", [32]), ("a", [-1]), ("a", [0] * 85)]
)
def test_encode_rejects_unrepresentable_input(hrp: str, data: list[int]) -> None:
    with pytest.raises(ValueError, match=r"human-readable|5-bit|limit"):
        _bech32.encode(hrp, data)


@given(hrp=hrps, payload=st.binary(max_size=60))
def test_encode_bytes_is_encode_of_the_bytes_five_bits_at_a_time(hrp: str, payload: bytes) -> None:
    try:
        expected = _bech32.encode(hrp, _bech32.convertbits(payload, 8, 5, pad=True))
    except ValueError:
        with pytest.raises(ValueError, match="limit"):
            _bech32.encode_bytes(hrp, payload)
        return
    assert _bech32.encode_bytes(hrp, payload) == expected
    assert _bech32.encode_bytes(hrp.upper(), payload) == expected


@pytest.mark.parametrize("hrp", ["", "a b", "\x7f"])
def test_encode_bytes_rejects_a_prefix_no_string_could_carry(hrp: str) -> None:
    with pytest.raises(ValueError, match="human-readable"):
        _bech32.encode_bytes(hrp, b"\x01\x02")
