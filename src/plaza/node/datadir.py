"""A node's data directory: its database, its network's genesis and its keys.

On first use on a devnet the directory is initialised with a fresh genesis whose
supply sits with a faucet key, and a coordinator key. Key files are written
with mode 0600 and read back only here; their contents never reach a log.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from plaza.crypto import Address, SigningKey
from plaza.ledger.genesis import Genesis

__all__ = ["DEVNET_SUPPLY", "DataDir"]

DEVNET_SUPPLY = 1_000_000_000_000  # base units


class DataDir:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @property
    def database(self) -> Path:
        return self.path / "tangle.sqlite3"

    @property
    def genesis_file(self) -> Path:
        return self.path / "genesis.json"

    def key(self, name: str) -> SigningKey | None:
        """The key stored under ``name``, or None if the directory has none."""
        path = self.path / "keys" / f"{name}.key"
        if not path.exists():
            return None
        return SigningKey.from_seed(bytes.fromhex(json.loads(path.read_text())["seed"]))

    def store_key(self, name: str, key: SigningKey) -> None:
        folder = self.path / "keys"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"{name}.key"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump({"seed": key.seed_bytes.hex(), "public_key": key.public_key.raw.hex()}, file)

    def node_key(self) -> SigningKey:
        """The node's identity for peering, created on first use."""
        key = self.key("node")
        if key is None:
            key = SigningKey.generate()
            self.store_key("node", key)
        return key

    def load_genesis(self) -> Genesis | None:
        if not self.genesis_file.exists():
            return None
        return Genesis.from_json(json.loads(self.genesis_file.read_text()))

    def init_devnet(self, network: str, *, now_ms: int) -> Genesis:
        """Create a devnet genesis with a faucet and a coordinator, unless one exists."""
        existing = self.load_genesis()
        if existing is not None:
            return existing
        self.path.mkdir(parents=True, exist_ok=True)
        faucet, coordinator = SigningKey.generate(), SigningKey.generate()
        self.store_key("faucet", faucet)
        self.store_key("coordinator", coordinator)
        genesis = Genesis.create(
            network,
            timestamp_ms=now_ms,
            allocations={Address.from_public_key(faucet.public_key.raw).raw: DEVNET_SUPPLY},
            coordinator_keys=(coordinator.public_key.raw,),
        )
        temporary = self.genesis_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(genesis.to_json(), indent=2))
        temporary.replace(self.genesis_file)  # atomic: a crash leaves no half genesis
        return genesis
