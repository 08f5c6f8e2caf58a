"""Seen letter nonces survive a restart: a letter captured before it is still a replay after."""

from __future__ import annotations

from pathlib import Path

import pytest

from plaza.crypto import Identity
from plaza.energy.envelope import MAX_SKEW_MS, ModuleKey, open_letter, seal_letter
from plaza.energy.errors import NotAuthenticated
from plaza.energy.nonces import SqliteNonces

NOW = 1_750_000_000_000
SENDER, RECIPIENT = Identity.generate(), Identity.generate()


def _letter() -> bytes:
    return seal_letter({"n": 1}, sender="solar", identity=SENDER,
                       recipient=ModuleKey.of(RECIPIENT), audience="marketplace",
                       now_ms=NOW)  # fmt: skip


def _open(document: bytes, nonces: SqliteNonces) -> None:
    open_letter(document, identity=RECIPIENT, audience="marketplace", now_ms=NOW + 1,
                nonces=nonces, known_key=lambda _: SENDER.public_key)  # fmt: skip


def test_a_nonce_is_admitted_once_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "nonces.sqlite3"
    assert SqliteNonces(path).admit("n1", NOW, NOW)
    again = SqliteNonces(path)  # the module restarted
    assert not again.admit("n1", NOW, NOW + 1)
    assert again.admit("n2", NOW, NOW + 1)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_letter_opened_before_a_restart_is_a_replay_after_it(tmp_path: Path) -> None:
    document = _letter()
    _open(document, SqliteNonces(tmp_path / "nonces.sqlite3"))
    with pytest.raises(NotAuthenticated, match="replay"):
        _open(document, SqliteNonces(tmp_path / "nonces.sqlite3"))


def test_nonces_no_letter_can_carry_any_more_are_purged(tmp_path: Path) -> None:
    assert SqliteNonces(tmp_path / "nonces.sqlite3").admit("old", NOW, NOW)
    nonces = SqliteNonces(tmp_path / "nonces.sqlite3")
    later = NOW + 2 * MAX_SKEW_MS + 1
    assert nonces.admit("fresh", later, later)  # the first admission of a run purges
    assert nonces.admit("old", later, later), "purged: only reachable by a stale letter"
