"""Seen letter nonces survive a restart: a letter captured before it is still a replay after.

A module keeps them in the market's nonce store on its ``nonces.sqlite3``
(:func:`plaza.bootstrap.energy_modules.open_nonces`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from plaza.bootstrap.energy_modules import open_nonces
from plaza.crypto import Identity
from plaza.energy.envelope import MAX_SKEW_MS, ModuleKey, open_letter, seal_letter
from plaza.energy.errors import NotAuthenticated
from plaza.market.auth import NonceStore

NOW = 1_750_000_000_000
SENDER, RECIPIENT = Identity.generate(), Identity.generate()


def _letter() -> bytes:
    return seal_letter(
        {"n": 1},
        sender="solar",
        identity=SENDER,
        recipient=ModuleKey.of(RECIPIENT),
        audience="marketplace",
        now_ms=NOW,
    )


def _open(document: bytes, nonces: NonceStore) -> None:
    open_letter(
        document,
        identity=RECIPIENT,
        audience="marketplace",
        now_ms=NOW + 1,
        nonces=nonces,
        known_key=lambda _: SENDER.public_key,
    )


def test_a_nonce_is_remembered_once_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "nonces.sqlite3"
    assert open_nonces(tmp_path).remember("solar", "n1", expires_at_ms=NOW + 10, now_ms=NOW)
    again = open_nonces(tmp_path)  # the module restarted
    assert not again.remember("solar", "n1", expires_at_ms=NOW + 10, now_ms=NOW + 1)
    assert again.remember("solar", "n2", expires_at_ms=NOW + 10, now_ms=NOW + 1)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_letter_opened_before_a_restart_is_a_replay_after_it(tmp_path: Path) -> None:
    document = _letter()
    _open(document, open_nonces(tmp_path))
    with pytest.raises(NotAuthenticated, match="replay"):
        _open(document, open_nonces(tmp_path))


def test_nonces_no_letter_can_carry_any_more_are_purged(tmp_path: Path) -> None:
    expires = NOW + 2 * MAX_SKEW_MS
    assert open_nonces(tmp_path).remember("solar", "old", expires_at_ms=expires, now_ms=NOW)
    nonces = open_nonces(tmp_path)
    later = expires + 1
    assert nonces.remember("solar", "fresh", expires_at_ms=later + 10, now_ms=later)
    assert nonces.count() == 1, "the first call of a run purged the expired one"
