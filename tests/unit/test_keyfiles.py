"""Secrets on disk: owner-only, replaced whole, and an identity kept across opens."""

from __future__ import annotations

import stat
from pathlib import Path

from plaza.keyfiles import identity_at, write_private


def test_a_secret_is_written_owner_only_and_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    write_private(path, b"first")
    write_private(path, b"second")
    assert path.read_bytes() == b"second"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"], "no temporary file left"


def test_an_identity_is_made_once_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "identity.json"
    made = identity_at(path)
    again = identity_at(path)
    assert made.signing.public_key == again.signing.public_key
    assert made.encryption.public_key == again.encryption.public_key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
