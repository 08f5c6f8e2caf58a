"""The CLI's channel directory: the identity, the cursor store and received reader keys.

::

    <home>/identity.key       signing and encryption seeds (0600), made on first use
    <home>/cursors.sqlite3    the owner's channel cursors, with their secrets (0600)
    <home>/keys/<id>.key      reader keys received through the inbox (0600)

Every file with a secret is written with mode 0600 through a temporary file and
an atomic rename, so a crash never leaves half a key.
"""

from __future__ import annotations

from pathlib import Path

from plaza.channels import (
    ChannelError,
    ReaderKey,
    decode_reader_key,
    encode_reader_key,
)
from plaza.channels.cursors import SqliteCursorStore
from plaza.crypto import Identity, PublicKey
from plaza.keyfiles import identity_at, write_private

__all__ = ["ChannelHome", "UnknownChannel"]


class UnknownChannel(ChannelError):
    """The text names no channel this home owns or holds a key for."""

    def __init__(self, text: str, why: str) -> None:
        super().__init__(f"channel {text!r}: {why}")


class ChannelHome:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        (path / "keys").mkdir(exist_ok=True, mode=0o700)

    def identity(self) -> Identity:
        """This home's identity, created (and saved, 0600) on first use."""
        return identity_at(self.path / "identity.key")

    def open_store(self) -> SqliteCursorStore:
        return SqliteCursorStore(self.path / "cursors.sqlite3")

    def save_reader_key(self, key: ReaderKey) -> Path:
        path = self.path / "keys" / f"{key.channel_id.hex()}.key"
        write_private(path, encode_reader_key(key).hex().encode())
        return path

    def reader_keys(self) -> dict[bytes, ReaderKey]:
        keys = {}
        for path in sorted((self.path / "keys").glob("*.key")):
            key = decode_reader_key(bytes.fromhex(path.read_text()))
            keys[key.channel_id] = key
        return keys

    def owned_channel(self, store: SqliteCursorStore, text: str | None) -> bytes:
        """The id of an owned channel named by an id prefix (or the only one, if none given)."""
        owned = store.channel_ids()
        if text is None:
            if len(owned) != 1:
                raise UnknownChannel("", f"{len(owned)} channels here; name one with --channel")
            return owned[0]
        return _unique(text, owned)

    def readable(self, store: SqliteCursorStore, text: str) -> tuple[bytes, ReaderKey | None]:
        """An owned channel's id (key None), or a held reader key, or a public channel's key."""
        keys = self.reader_keys()
        try:
            channel_id = _unique(text, [*store.channel_ids(), *keys])
        except UnknownChannel:
            if len(text) != 64:
                raise
            return b"", ReaderKey.public(PublicKey(bytes.fromhex(text)))
        return channel_id, keys.get(channel_id)


def _unique(text: str, ids: list[bytes]) -> bytes:
    wanted = text.lower()
    matches = sorted({i for i in ids if i.hex().startswith(wanted)})
    if len(matches) != 1:
        why = "no channel has that id" if not matches else "the prefix is ambiguous"
        raise UnknownChannel(text, why)
    return matches[0]
