"""Seeds and their BIP-39 recovery phrases."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaza.crypto import InvalidKey, InvalidMnemonic, Seed

# Trezor's reference BIP-39 vectors for 256-bit entropy.
BIP39_VECTORS = [
    ("00" * 32, " ".join(["abandon"] * 23 + ["art"])),
    (
        "7f" * 32,
        "legal winner thank year wave sausage worth useful legal winner thank year "
        "wave sausage worth useful legal winner thank year wave sausage worth title",
    ),
    ("ff" * 32, " ".join(["zoo"] * 23 + ["vote"])),
]

seeds = st.binary(min_size=32, max_size=32).map(Seed)


@pytest.mark.parametrize(("entropy", "phrase"), BIP39_VECTORS)
def test_bip39_known_answers(entropy: str, phrase: str) -> None:
    assert Seed.from_hex(entropy).to_mnemonic() == phrase
    assert Seed.from_mnemonic(phrase).hex() == entropy


@given(seeds)
def test_mnemonic_roundtrip(seed: Seed) -> None:
    words = seed.to_mnemonic()
    assert len(words.split()) == 24
    assert Seed.from_mnemonic(words) == seed


def test_mnemonic_tolerates_case_and_whitespace() -> None:
    seed = Seed(bytes(range(32)))
    sloppy = "  " + "\n".join(seed.to_mnemonic().upper().split()) + "\t"
    assert Seed.from_mnemonic(sloppy) == seed


@pytest.mark.parametrize("count", [0, 12, 23, 25])
def test_wrong_word_count(count: int) -> None:
    with pytest.raises(InvalidMnemonic, match=rf"^wrong word count {count}, expected 24$"):
        Seed.from_mnemonic(" ".join(["abandon"] * count))


def test_unknown_word_is_located_but_never_echoed() -> None:
    words = ["abandon"] * 23 + ["art"]
    words[6] = "bitcoin"
    with pytest.raises(InvalidMnemonic, match=r"^word 7 is not in the word list$") as caught:
        Seed.from_mnemonic(" ".join(words))
    assert "bitcoin" not in str(caught.value)


def test_bad_checksum() -> None:
    with pytest.raises(InvalidMnemonic, match=r"^bad checksum$"):
        Seed.from_mnemonic(" ".join(["abandon"] * 24))


def test_hex_roundtrip_and_validation() -> None:
    seed = Seed.generate()
    assert Seed.from_hex(seed.hex()) == seed
    assert seed.to_bytes() == bytes.fromhex(seed.hex())
    with pytest.raises(InvalidKey, match="not valid hexadecimal"):
        Seed.from_hex("zz" * 32)
    with pytest.raises(InvalidKey, match="32 bytes"):
        Seed.from_hex("00" * 31)


def test_equality_by_value_and_unhashable() -> None:
    raw = bytes(range(32))
    assert Seed(raw) == Seed(raw)
    assert Seed(raw) != Seed(bytes(32))
    assert Seed(raw) != raw
    with pytest.raises(TypeError, match="unhashable"):
        hash(Seed(raw))


def test_generated_seeds_differ() -> None:
    assert Seed.generate() != Seed.generate()
