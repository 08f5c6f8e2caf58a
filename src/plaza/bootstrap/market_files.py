"""The marketplace's data directory: its keys and pepper, made on first run with mode 0600."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
from pathlib import Path

from plaza.crypto import EncryptionKey, Identity, SigningKey
from plaza.market.auth import Pepper
from plaza.market.sql import sqlite_url

__all__ = ["TWIN_CURSORS", "MarketDataDir"]

#: The twins' cursor store, in the data directory; also the name twins record it under.
TWIN_CURSORS = "twin-cursors.sqlite3"


def _create_secret(path: Path, text: str) -> None:
    """Write a new secret file readable by this user only; an existing one is kept.

    The secret is written whole to a file of this process's own (``mkstemp``: 0600),
    then linked into place. ``link`` fails when the name exists, so two first runs
    racing each other (processes sharing the directory) agree on one secret, and
    neither reads the other's file before it is complete.
    """
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


class MarketDataDir:
    """A marketplace's directory: its keys, pepper, journal, hub and default databases."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def database_url(self) -> str:
        return sqlite_url(self.path / "market.sqlite3")

    @property
    def hub(self) -> Path:
        """Webhook secrets are kept in clear (signing needs them): the file is made 0600."""
        path = self.path / "hub.sqlite3"
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        return path

    @property
    def twin_cursors(self) -> Path:
        """The twins' channel cursors: their chain secrets, so the file is made 0600 first."""
        path = self.path / TWIN_CURSORS
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        return path

    def identity(self) -> Identity:
        """The marketplace's signing and encryption keys, made on first use."""
        path = self.path / "marketplace.key"
        if not path.exists():
            fresh = Identity.generate()
            seeds = {
                "signing_seed": fresh.signing.seed_bytes.hex(),
                "encryption_seed": fresh.encryption.seed_bytes.hex(),
            }
            _create_secret(path, json.dumps(seeds))
        seeds = json.loads(path.read_text())
        return Identity(
            SigningKey(bytes.fromhex(seeds["signing_seed"])),
            EncryptionKey(bytes.fromhex(seeds["encryption_seed"])),
        )

    def pepper(self) -> Pepper:
        """The server secret that keys API key hashes, made on first use."""
        path = self.path / "api-key.pepper"
        if not path.exists():
            _create_secret(path, secrets.token_bytes(Pepper.SIZE).hex())
        return Pepper(bytes.fromhex(path.read_text().strip()))
