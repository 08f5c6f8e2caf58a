"""A provider's data directory: its identity, its channel cursor and its book of calls.

::

    <data>/identity.json     its Ed25519 and X25519 seeds (0600): the address it is paid
                             at and the key jobs are sealed to
    <data>/cursors.sqlite3   its public channel's cursor, with the channel secret (0600)
    <data>/calls.sqlite3     quotes with their secrets, accepted calls and their inputs (0600)

The folder is 0700. The secrets of quotes are the provider's pay: they are saved
before the quote is answered, so a restart can still release what it sold.
"""

from __future__ import annotations

from pathlib import Path

from plaza.channels.cursors import SqliteCursorStore
from plaza.crypto import Identity
from plaza.keyfiles import identity_at
from plaza.services.provider.book import ProviderBook
from plaza.sqlite import private_folder

__all__ = ["ProviderHome"]


class ProviderHome:
    """One provider's folder; every secret in it is 0600 and the folder 0700."""

    def __init__(self, path: Path) -> None:
        self.path = private_folder(path)
        self.path.chmod(0o700)

    def identity(self) -> Identity:
        """The provider's identity, made and saved the first time."""
        return identity_at(self.path / "identity.json")

    def cursors(self) -> SqliteCursorStore:
        return SqliteCursorStore(self.path / "cursors.sqlite3")

    def book(self) -> ProviderBook:
        return ProviderBook(self.path / "calls.sqlite3")
