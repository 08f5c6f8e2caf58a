"""The marketplace's secret files appear whole or not at all, so processes sharing a fresh
data directory (workers starting together) never read a half-written key or pepper."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from plaza.bootstrap import market_files
from plaza.bootstrap.market_files import MarketDataDir


def test_the_key_is_not_visible_under_its_name_until_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "marketplace.key"
    visible_while_writing: list[bool] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        visible_while_writing.append(key.exists())
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    identity = MarketDataDir(tmp_path).identity()
    assert visible_while_writing == [False]
    assert MarketDataDir(tmp_path).identity().public_key == identity.public_key
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert sorted(path.name for path in tmp_path.iterdir()) == ["marketplace.key"]


def test_an_existing_pepper_is_kept(tmp_path: Path) -> None:
    MarketDataDir(tmp_path).pepper()
    path = tmp_path / "api-key.pepper"
    first = path.read_text()
    market_files._create_secret(path, "00" * 32)
    assert path.read_text() == first != "00" * 32
    assert sorted(path.name for path in tmp_path.iterdir()) == ["api-key.pepper"]
