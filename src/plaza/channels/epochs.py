"""Keys records: how a restricted channel starts a new content key for its entitled readers.

The content of a ``KEYS`` record at position ``p`` starting epoch ``e``::

    keys        = epoch u32 || wrap_count u16 || (hint 8 || sealed 84) * n || owner_blob
    sealed      = crypto_box_seal(reader_x25519, epoch u32 || epoch_key 32)
    hint        = KDF(hint_key(reader), "hint" || epoch u32)[:8]
    owner_blob  = XChaCha20-Poly1305(owner_key, owner_state,
                                     "plaza-chan-own-v1" || channel_id || p u64 || epoch u32)
    owner_state = data_count u64 || grant_count u16
                  || (reader 32 || expires_at_ms u64 || until_count u64) * n   (0: unbounded)

The record itself is encrypted under the chain key ``k_p``, so anyone holding
the chain at ``p`` sees how many wraps there are but opens only its own. A
reader finds its wrap by its hint instead of trying every one; hints come from
a key only the owner and that reader share, so they link nothing across epochs
or channels. The owner blob lets the owner (and only it) rebuild the grants
from the ledger after restoring an older cursor backup.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from plaza.channels.chain import HINT_SIZE, hint, hint_key
from plaza.channels.errors import InvalidChannelData, TooManyReaders
from plaza.channels.model import Channel, Grant
from plaza.crypto import (
    DecryptionFailed,
    EncryptionKey,
    EncryptionPublicKey,
    aead_decrypt,
    aead_encrypt,
    open_sealed,
    seal,
)

__all__ = [
    "MAX_READERS",
    "KeysContent",
    "build_keys_content",
    "decode_keys_content",
    "open_owner_state",
    "open_wrap",
]

#: Readers one keys record wraps for; what fits one message with room to spare.
MAX_READERS = 200
OWNER_DOMAIN = b"plaza-chan-own-v1"
SEALED_SIZE = 4 + 32 + 48  # epoch and key, plus the sealed box's key and tag
_WRAP_SIZE = HINT_SIZE + SEALED_SIZE
_GRANT = struct.Struct("<32sQQ")


@dataclass(frozen=True, slots=True, repr=False)
class KeysContent:
    epoch: int
    wraps: dict[bytes, bytes]  # hint -> sealed
    owner_blob: bytes

    def __repr__(self) -> str:
        return f"KeysContent(epoch={self.epoch}, wraps={len(self.wraps)})"


def _owner_ad(channel: Channel, position: int, epoch: int) -> bytes:
    return OWNER_DOMAIN + channel.id + struct.pack("<QI", position, epoch)


def _encode_owner_state(data_count: int, grants: Sequence[Grant]) -> bytes:
    parts = [struct.pack("<QH", data_count, len(grants))]
    for grant in grants:
        parts.append(
            _GRANT.pack(grant.reader.raw, grant.expires_at_ms or 0, grant.until_count or 0)
        )
    return b"".join(parts)


def build_keys_content(
    channel: Channel, position: int, epoch: int, grants: Sequence[Grant], data_count: int
) -> bytes:
    """Wrap epoch ``epoch``'s key for every grant, and the grants themselves for the owner."""
    if len(grants) > MAX_READERS:
        raise TooManyReaders(len(grants), MAX_READERS)
    key = channel.epoch_key(epoch)
    secret = struct.pack("<I", epoch) + key
    wraps = sorted(
        hint(hint_key(channel.hint_master, grant.reader), epoch) + seal(grant.reader, secret)
        for grant in grants
    )
    owner_state = _encode_owner_state(data_count, grants)
    owner_blob = aead_encrypt(channel.owner_key, owner_state, _owner_ad(channel, position, epoch))
    head = struct.pack("<IH", epoch, len(wraps))
    return head + b"".join(wraps) + owner_blob


def decode_keys_content(content: bytes) -> KeysContent:
    if len(content) < 6:
        raise InvalidChannelData("keys record", "truncated header")
    epoch, count = struct.unpack_from("<IH", content)
    end = 6 + count * _WRAP_SIZE
    if end > len(content):
        raise InvalidChannelData("keys record", f"{count} wraps do not fit")
    wraps = {}
    for offset in range(6, end, _WRAP_SIZE):
        wraps[content[offset : offset + HINT_SIZE]] = content[
            offset + HINT_SIZE : offset + _WRAP_SIZE
        ]
    return KeysContent(epoch, wraps, content[end:])


def open_wrap(keys: KeysContent, reader_hint_key: bytes, reader: EncryptionKey) -> bytes | None:
    """This reader's epoch key from a keys record, or None if it was left out."""
    sealed = keys.wraps.get(hint(reader_hint_key, keys.epoch))
    if sealed is None:
        return None
    try:
        secret = open_sealed(reader, sealed)
    except DecryptionFailed:
        return None
    if len(secret) != 36 or struct.unpack_from("<I", secret)[0] != keys.epoch:
        return None
    return secret[4:]


def open_owner_state(
    channel: Channel, position: int, keys: KeysContent
) -> tuple[int, tuple[Grant, ...]]:
    """The data count and grants the owner recorded when it started this epoch."""
    try:
        state = aead_decrypt(
            channel.owner_key, keys.owner_blob, _owner_ad(channel, position, keys.epoch)
        )
    except DecryptionFailed:
        raise InvalidChannelData("keys record", "owner state does not open") from None
    count = struct.unpack_from("<H", state, 8)[0] if len(state) >= 10 else -1
    if len(state) != 10 + count * _GRANT.size:
        raise InvalidChannelData("keys record", "owner state has the wrong length")
    data_count = struct.unpack_from("<Q", state)[0]
    grants = []
    for offset in range(10, len(state), _GRANT.size):
        reader, expires, until = _GRANT.unpack_from(state, offset)
        grants.append(Grant(EncryptionPublicKey(reader), expires or None, until or None))
    return data_count, tuple(grants)
