"""A module's own keys, created on first start and kept in its data directory.

The seed generates an RSA key pair on the device's first initialisation; here a
module draws a fresh :class:`~plaza.crypto.Seed` once, writes it to a file only
its user can read (``0600``, created exclusively so two starts never race to
two different keys), and derives its :class:`~plaza.crypto.Identity` and its
wallet key from it. The seed never leaves the file: not in a reply, a letter or
a log line.
"""

from __future__ import annotations

import os
from pathlib import Path

from plaza.crypto import Identity, Seed, SigningKey

__all__ = ["ModuleSecrets", "load_or_create", "load_or_create_seed"]

_IDENTITY_ACCOUNT = 0
_WALLET_ACCOUNT = 1


class ModuleSecrets:
    """The identity (letters, twins) and the wallet key (payments) of one module."""

    def __init__(self, seed: Seed) -> None:
        self.identity = Identity.from_seed(seed, account=_IDENTITY_ACCOUNT)
        self.wallet_key: SigningKey = Identity.from_seed(seed, account=_WALLET_ACCOUNT).signing

    def __repr__(self) -> str:  # never the keys
        return f"ModuleSecrets(identity={self.identity!r})"


def load_or_create_seed(path: Path) -> Seed:
    """The seed in ``path``, drawn and written (``0600``, exclusively) on first use."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return Seed.from_mnemonic(path.read_text().strip())
    seed = Seed.generate()
    with os.fdopen(descriptor, "w") as file:
        file.write(seed.to_mnemonic() + "\n")
    return seed


def load_or_create(path: Path) -> ModuleSecrets:
    """The module's secrets from ``path``, creating the file on first use."""
    return ModuleSecrets(load_or_create_seed(path))
