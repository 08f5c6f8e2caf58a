"""BLAKE2b helpers: known answers and the effect of each parameter."""

import hashlib

import pytest

from plaza.crypto import blake2b, blake2b_256


def test_blake2b_256_known_answer_for_empty_input() -> None:
    expected = "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
    assert blake2b_256(b"").hex() == expected


def test_blake2b_defaults_match_blake2b_256() -> None:
    assert blake2b(b"plaza") == blake2b_256(b"plaza")


@pytest.mark.parametrize("size", [1, 16, 32, 64])
def test_blake2b_honours_size(size: int) -> None:
    assert len(blake2b(b"x", size=size)) == size


def test_key_and_person_each_separate_domains() -> None:
    plain = blake2b(b"x")
    keyed = blake2b(b"x", key=b"k")
    personal = blake2b(b"x", person=b"p")
    assert len({plain, keyed, personal}) == 3
    assert personal == hashlib.blake2b(b"x", digest_size=32, person=b"p").digest()


def test_out_of_range_parameters_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="digest_size"):
        blake2b(b"x", size=65)
    with pytest.raises(ValueError, match="person"):
        blake2b(b"x", person=b"p" * 17)
