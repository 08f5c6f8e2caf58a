"""Secrets on disk: written readable by their owner only, atomically, never half.

Every agent that keeps a key in its data directory (a channel home, a marketplace home,
a service provider, a sensor, a buyer) writes it here: to a temporary file created
0600 and exclusively, synced, then renamed over the old one, so a crash leaves the old
key or the new one, and no other user can read either. An identity is kept as its two
seeds, as JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from plaza.crypto import EncryptionKey, Identity, SigningKey

__all__ = ["identity_at", "write_private"]


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by this user only, replacing ``path`` atomically."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(path)


def identity_at(path: Path) -> Identity:
    """The identity saved at ``path``, made and saved (0600) the first time it is asked."""
    if path.exists():
        seeds = json.loads(path.read_text())
        return Identity(
            SigningKey(bytes.fromhex(seeds["signing_seed"])),
            EncryptionKey(bytes.fromhex(seeds["encryption_seed"])),
        )
    identity = Identity.generate()
    seeds = {
        "signing_seed": identity.signing.seed_bytes.hex(),
        "encryption_seed": identity.encryption.seed_bytes.hex(),
    }
    write_private(path, json.dumps(seeds).encode())
    return identity
