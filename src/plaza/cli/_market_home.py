"""The CLI's marketplace directory: the participant's identity and the marketplace it trusts.

::

    <home>/identity.key       signing and encryption seeds (0600), made by ``register``
                              (or, with ``--wallet``, the keys of the wallet's main
                              address: the participant id is then that address, so
                              ``pay`` can spend from it)
    <home>/marketplace.json   the marketplace's URL, audience and keys, pinned at
                              ``register`` (trust on first use): ``verify`` checks
                              contracts against this signing key, not whatever a
                              server claims later
"""

from __future__ import annotations

import json
from pathlib import Path

from plaza.clients.market import MarketInfo
from plaza.crypto import EncryptionKey, Identity, PublicKey, SigningKey
from plaza.keyfiles import write_private

__all__ = ["MarketHome"]


class MarketHome:
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def _identity_file(self) -> Path:
        return self.path / "identity.key"

    def has_identity(self) -> bool:
        return self._identity_file.exists()

    def identity(self, *, create: bool = False) -> Identity:
        """This home's identity; made (0600) only when ``create`` is set, i.e. by ``register``."""
        if self._identity_file.exists():
            seeds = json.loads(self._identity_file.read_text())
            return Identity(
                SigningKey(bytes.fromhex(seeds["signing_seed"])),
                EncryptionKey(bytes.fromhex(seeds["encryption_seed"])),
            )
        if not create:
            raise FileNotFoundError(f"no identity in {self.path}: run `plaza market register`")
        return self._write(Identity.generate())

    def adopt(self, identity: Identity) -> Identity:
        """Keep ``identity`` (a wallet address's keys) as this home's. A home holding another
        identity refuses: its participant, and the contracts it signed for, would change."""
        if self._identity_file.exists():
            current = self.identity()
            if current.public_key != identity.public_key:
                raise FileExistsError(f"{self.path} holds another identity, {current.address}")
            return current
        return self._write(identity)

    def _write(self, identity: Identity) -> Identity:
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        seeds = {
            "signing_seed": identity.signing.seed_bytes.hex(),
            "encryption_seed": identity.encryption.seed_bytes.hex(),
        }
        write_private(self._identity_file, json.dumps(seeds).encode())
        return identity

    def pin(self, url: str, info: MarketInfo) -> None:
        """Remember the marketplace registered with, and the key its contracts must carry."""
        pinned = {
            "url": url,
            "audience": info.audience,
            "marketplace_id": info.marketplace_id,
            "signing_key": info.signing_key.raw.hex(),
        }
        write_private(self.path / "marketplace.json", json.dumps(pinned, indent=2).encode())

    def pinned_key(self) -> PublicKey | None:
        path = self.path / "marketplace.json"
        if not path.exists():
            return None
        return PublicKey(bytes.fromhex(json.loads(path.read_text())["signing_key"]))
