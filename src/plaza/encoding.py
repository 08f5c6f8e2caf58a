"""Canonical binary encoding: fixed-width little-endian integers and length-prefixed bytes.

Every byte Plaza signs or hashes is produced by :class:`Writer` and read back by
:class:`ByteReader`, so that one value has exactly one encoding. The reader refuses
anything non-canonical (short input, trailing bytes, oversized lengths) with an
:class:`EncodingError` that says where and what, because a permissive decoder is
how two nodes come to disagree about the same bytes.
"""

from __future__ import annotations

__all__ = ["ByteReader", "EncodingError", "Writer"]


class EncodingError(ValueError):
    """Bytes that are not the canonical encoding of any value."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(f"{reason} at byte {offset}")
        self.reason = reason
        self.offset = offset


class Writer:
    """Accumulates the canonical encoding of a value."""

    __slots__ = ("_parts",)

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def u8(self, value: int) -> Writer:
        self._parts.append(value.to_bytes(1, "little"))
        return self

    def u16(self, value: int) -> Writer:
        self._parts.append(value.to_bytes(2, "little"))
        return self

    def u32(self, value: int) -> Writer:
        self._parts.append(value.to_bytes(4, "little"))
        return self

    def u64(self, value: int) -> Writer:
        self._parts.append(value.to_bytes(8, "little"))
        return self

    def raw(self, value: bytes) -> Writer:
        """Fixed-size bytes whose length the format already knows (ids, keys)."""
        self._parts.append(value)
        return self

    def bytes8(self, value: bytes) -> Writer:
        """Bytes with a one-byte length prefix (tags)."""
        return self.u8(len(value)).raw(value)

    def bytes32(self, value: bytes) -> Writer:
        """Bytes with a four-byte length prefix (data, payloads)."""
        return self.u32(len(value)).raw(value)

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


class ByteReader:
    """Reads a canonical encoding, refusing short, long or oversized input."""

    __slots__ = ("_data", "_offset")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._offset = 0

    @property
    def offset(self) -> int:
        return self._offset

    def _take(self, size: int, what: str) -> bytes:
        end = self._offset + size
        if end > len(self._data):
            raise EncodingError(f"truncated {what}", self._offset)
        chunk = self._data[self._offset : end]
        self._offset = end
        return chunk

    def u8(self, what: str = "u8") -> int:
        return self._take(1, what)[0]

    def u16(self, what: str = "u16") -> int:
        return int.from_bytes(self._take(2, what), "little")

    def u32(self, what: str = "u32") -> int:
        return int.from_bytes(self._take(4, what), "little")

    def u64(self, what: str = "u64") -> int:
        return int.from_bytes(self._take(8, what), "little")

    def raw(self, size: int, what: str = "bytes") -> bytes:
        return self._take(size, what)

    def bytes8(self, what: str = "bytes", *, limit: int = 255) -> bytes:
        return self._bounded(self.u8(f"{what} length"), limit, what)

    def bytes32(self, what: str = "bytes", *, limit: int) -> bytes:
        return self._bounded(self.u32(f"{what} length"), limit, what)

    def _bounded(self, size: int, limit: int, what: str) -> bytes:
        if size > limit:
            raise EncodingError(f"{what} of {size} bytes exceeds {limit}", self._offset)
        return self._take(size, what)

    def rest(self) -> bytes:
        """Everything not read yet (for a length-delimited sub-structure)."""
        chunk = self._data[self._offset :]
        self._offset = len(self._data)
        return chunk

    def expect_end(self, what: str = "message") -> None:
        if self._offset != len(self._data):
            raise EncodingError(
                f"{len(self._data) - self._offset} trailing bytes after {what}", self._offset
            )
