"""A sensor's data directory: its keys, its wallet, its channel cursor and its book.

::

    <data>/wallet.json        its wallet (plaza.wallet): its seed gives the sensor's
                              identity too (the keys of address #0, where buyers pay, so
                              the sensor's marketplace id is the address it is paid at)
    <data>/wallet.password    that wallet's password: 32 random bytes, hex (0600)
    <data>/cursors.sqlite3    its channel's cursor, with the channel secret (0600)
    <data>/sensor.sqlite3     payments handled, subscriptions, facts (0600)

The folder is 0700. The wallet's password is random, so Argon2id's stretching
adds nothing a 256-bit secret lacks: the wallet is sealed at the minimum cost
and the file's protection is the folder's, like the identity beside it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from plaza.channels.cursors import SqliteCursorStore
from plaza.clock import Clock
from plaza.keyfiles import write_private
from plaza.sqlite import private_folder
from plaza.streams.sensor.book import SensorBook
from plaza.wallet import KdfParams, Wallet, WalletLedger

__all__ = ["SensorHome"]


class SensorHome:
    """One sensor's folder; every secret in it is 0600 and the folder 0700."""

    def __init__(self, path: Path) -> None:
        self.path = private_folder(path)
        self.path.chmod(0o700)

    def wallet(self, gateway: WalletLedger, *, clock: Clock) -> Wallet:
        """The sensor's wallet, created with a random password on first use."""
        path, secret = self.path / "wallet.json", self.path / "wallet.password"
        if path.exists():
            return Wallet.open(path, secret.read_text().strip(), gateway=gateway, clock=clock)
        password = secrets.token_hex(32)
        write_private(secret, password.encode())
        wallet, _ = Wallet.create(
            path, password, gateway=gateway, clock=clock, kdf=KdfParams.MINIMUM
        )
        return wallet

    def cursors(self) -> SqliteCursorStore:
        return SqliteCursorStore(self.path / "cursors.sqlite3")

    def book(self) -> SensorBook:
        return SensorBook(self.path / "sensor.sqlite3")
