"""Bech32m (BIP-350) encoding, written from the specification.

Bech32m is used for addresses because its BCH checksum *guarantees*
detection of up to four substituted characters, it avoids look-alike
characters, and it survives case changes (QR codes use upper case).
BIP-350 replaced the original bech32 constant with ``0x2bc830a3`` to fix
bech32's insertion/deletion weakness next to a trailing ``p``.

This module is generic (any human-readable part, any 5-bit payload) so it
can be checked against the published BIP-350 vectors; :mod:`.address`
applies the plaza-specific rules on top.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from .errors import InvalidAddress

__all__ = ["CHARSET", "MAX_LENGTH", "convertbits", "decode", "encode", "encode_bytes"]

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
MAX_LENGTH = 90
"""BIP-173/350 limit; beyond it the error-detection guarantees weaken."""

_BECH32M_CONST = 0x2BC830A3
_CHECKSUM_LENGTH = 6
_GENERATORS = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_CHARSET_VALUES = {char: value for value, char in enumerate(CHARSET)}
_MIN_ASCII, _MAX_ASCII = 33, 126


def _generators_for(top: int) -> int:
    xor = 0
    for bit, generator in enumerate(_GENERATORS):
        if (top >> bit) & 1:
            xor ^= generator
    return xor


#: The generators a checksum's top five bits select, XORed together: one lookup per
#: value instead of five tests (addresses are encoded on every event a node streams).
_TOP_GENERATORS = tuple(_generators_for(top) for top in range(32))


def _polymod(values: Iterable[int]) -> int:
    """Evaluate the BCH checksum polynomial over GF(32) used by bech32."""
    checksum = 1
    table = _TOP_GENERATORS
    for value in values:
        checksum = ((checksum & 0x1FFFFFF) << 5) ^ value ^ table[checksum >> 25]
    return checksum


def _two_steps(checksum: int) -> int:
    for _ in range(2):
        checksum = ((checksum & 0x1FFFFFF) << 5) ^ _TOP_GENERATORS[checksum >> 25]
    return checksum


#: The same for two values at once: a checksum's top ten bits select what two steps XOR in
#: (the step is linear over GF(2)), so a pair of 5-bit values is one 10-bit value.
_TOP_GENERATORS_PAIRED = tuple(_two_steps(top << 20) for top in range(1024))


def _polymod_pairs(checksum: int, pairs: Iterable[int]) -> int:
    """:func:`_polymod` from ``checksum`` on, over 10-bit values (each two 5-bit values)."""
    paired = _TOP_GENERATORS_PAIRED
    for pair in pairs:
        checksum = ((checksum & 0xFFFFF) << 10) ^ pair ^ paired[checksum >> 20]
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    """Spread the human-readable part into 5-bit values so the checksum covers it."""
    codes = [ord(char) for char in hrp]
    return [code >> 5 for code in codes] + [0] + [code & 31 for code in codes]


def _create_checksum(hrp: str, data: Sequence[int]) -> list[int]:
    residue = _polymod([*_hrp_expand(hrp), *data, *[0] * _CHECKSUM_LENGTH]) ^ _BECH32M_CONST
    return [(residue >> 5 * (_CHECKSUM_LENGTH - 1 - i)) & 31 for i in range(_CHECKSUM_LENGTH)]


def _verify_checksum(hrp: str, data: Sequence[int]) -> bool:
    return _polymod([*_hrp_expand(hrp), *data]) == _BECH32M_CONST


def encode(hrp: str, data: Sequence[int]) -> str:
    """Encode 5-bit ``data`` under ``hrp`` as a lower-case bech32m string.

    Raises ``ValueError`` for arguments no valid string could represent;
    those are caller bugs, so they are not reported as :class:`InvalidAddress`.
    """
    if not hrp or any(not _MIN_ASCII <= ord(char) <= _MAX_ASCII for char in hrp):
        raise ValueError("human-readable part must be 1+ printable ASCII characters")
    if any(not 0 <= value < 32 for value in data):
        raise ValueError("data values must be 5-bit integers")
    hrp = hrp.lower()
    encoded = hrp + "1" + "".join(CHARSET[v] for v in [*data, *_create_checksum(hrp, data)])
    if len(encoded) > MAX_LENGTH:
        raise ValueError(f"encoding would be {len(encoded)} characters, limit is {MAX_LENGTH}")
    return encoded


_PAIR_CHARS = tuple(CHARSET[pair >> 5] + CHARSET[pair & 31] for pair in range(1024))


@functools.lru_cache(maxsize=16)
def _hrp_checksum(hrp: str) -> int:
    """The checksum's state after ``hrp`` (validated, lower case): the same for every address."""
    encode(hrp, [])  # raises ValueError for a prefix no string could carry
    return _polymod(_hrp_expand(hrp.lower()))


def encode_bytes(hrp: str, data: bytes) -> str:
    """``encode(hrp, convertbits(data, 8, 5, pad=True))``, several times faster: a node writes
    the text of every address its streamed events touch, most of them seen once.

    The bytes are one big integer read ten bits (two symbols) at a time; the six checksum
    symbols are three such pairs."""
    count = -(-len(data) * 8 // 5)
    number = int.from_bytes(data, "big") << (count * 5 - len(data) * 8)
    checksum, head = _hrp_checksum(hrp), ""
    if count % 2:
        first = number >> 5 * (count - 1)
        checksum = ((checksum & 0x1FFFFFF) << 5) ^ first ^ _TOP_GENERATORS[checksum >> 25]
        head = CHARSET[first]
    pairs = [(number >> shift) & 1023 for shift in range(10 * (count // 2) - 10, -1, -10)]
    residue = _polymod_pairs(checksum, [*pairs, 0, 0, 0]) ^ _BECH32M_CONST
    pairs += (residue >> 20, (residue >> 10) & 1023, residue & 1023)
    encoded = hrp.lower() + "1" + head + "".join(map(_PAIR_CHARS.__getitem__, pairs))
    if len(encoded) > MAX_LENGTH:
        raise ValueError(f"encoding would be {len(encoded)} characters, limit is {MAX_LENGTH}")
    return encoded


def decode(text: str) -> tuple[str, list[int]]:
    """Split bech32m ``text`` into its lower-case hrp and 5-bit payload.

    Every rule of BIP-350 is enforced, each with its own
    :attr:`InvalidAddress.reason`, so a user can be told what to fix.
    """
    if len(text) > MAX_LENGTH:
        raise InvalidAddress("too long")
    if any(not _MIN_ASCII <= ord(char) <= _MAX_ASCII for char in text):
        raise InvalidAddress("invalid character")
    if text != text.lower() and text != text.upper():
        raise InvalidAddress("mixed case")
    text = text.lower()
    separator = text.rfind("1")
    if separator == -1:
        raise InvalidAddress("missing separator")
    if separator == 0:
        raise InvalidAddress("empty prefix")
    hrp, data_part = text[:separator], text[separator + 1 :]
    if len(data_part) < _CHECKSUM_LENGTH:
        raise InvalidAddress("checksum too short")
    try:
        data = [_CHARSET_VALUES[char] for char in data_part]
    except KeyError:
        raise InvalidAddress("invalid data character") from None
    if not _verify_checksum(hrp, data):
        raise InvalidAddress("bad checksum")
    return hrp, data[:-_CHECKSUM_LENGTH]


def convertbits(data: Iterable[int], from_bits: int, to_bits: int, *, pad: bool) -> list[int]:
    """Regroup a stream of ``from_bits``-wide integers into ``to_bits``-wide ones.

    With ``pad`` the last group is zero-filled (encoding bytes into 5-bit
    symbols); without it, leftover bits must be fewer than ``from_bits`` and
    all zero, so every payload has exactly one valid encoding.
    """
    accumulator, bits, result = 0, 0, []
    out_mask = (1 << to_bits) - 1
    keep_mask = (1 << (from_bits + to_bits - 1)) - 1  # bound the accumulator
    for value in data:
        if value >> from_bits:
            raise InvalidAddress("value out of range")
        accumulator = ((accumulator << from_bits) | value) & keep_mask
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            result.append((accumulator >> bits) & out_mask)
    if pad:
        if bits:
            result.append((accumulator << (to_bits - bits)) & out_mask)
    elif bits >= from_bits or (accumulator << (to_bits - bits)) & out_mask:
        raise InvalidAddress("invalid padding")
    return result
