"""One contract for every cursor store: atomic compare-and-swap saves, secrets kept private."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from plaza.channels import (
    Channel,
    ChannelMode,
    CursorConflict,
    CursorStore,
    MemoryCursorStore,
    PublisherState,
)
from plaza.channels.codec import decode_state, encode_state
from plaza.channels.cursors import SqliteCursorStore
from plaza.channels.model import Grant, InFlight
from plaza.crypto import EncryptionKey, Identity


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CursorStore]:
    opened: CursorStore = (
        MemoryCursorStore() if request.param == "memory" else SqliteCursorStore(tmp_path / "c.db")
    )
    try:
        yield opened
    finally:
        opened.close()


def _state(mode: ChannelMode = ChannelMode.RESTRICTED) -> PublisherState:
    channel = Channel.create(mode, Identity.generate())
    return PublisherState(
        channel,
        position=5,
        chain=channel.start().advance(5).state,
        data_count=3,
        grants=(
            Grant(EncryptionKey.generate().public_key, 1234, 9),
            Grant(EncryptionKey.generate().public_key),
        ),
        epoch_starts=(1, 4),
        in_flight=InFlight(bytes(32), b"raw message"),
    )


def test_a_saved_state_loads_back_equal(store: CursorStore) -> None:
    state = _state()
    saved = store.save(state)
    assert saved.version == 0
    loaded = store.load(state.channel.id)
    assert loaded == saved
    assert store.channel_ids() == [state.channel.id]


def test_saves_are_compare_and_swap(store: CursorStore) -> None:
    first = store.save(_state())
    second = store.save(replace(first, position=6))
    assert second.version == 1
    with pytest.raises(CursorConflict) as raised:
        store.save(replace(first, position=7))  # written from a stale copy
    assert (raised.value.expected, raised.value.found) == (0, 1)
    with pytest.raises(CursorConflict):
        store.save(replace(first, version=None))  # "new" channel that already exists
    loaded = store.load(first.channel.id)
    assert loaded is not None
    assert loaded.position == 6


def test_replace_overwrites_whatever_is_stored(store: CursorStore) -> None:
    first = store.save(_state())
    store.save(replace(first, position=9))
    restored = store.replace(replace(first, version=None))
    loaded = store.load(first.channel.id)
    assert loaded == restored
    assert loaded.position == 5


def test_an_unknown_channel_loads_as_none(store: CursorStore) -> None:
    assert store.load(bytes(32)) is None


@pytest.mark.parametrize("mode", list(ChannelMode))
def test_the_state_codec_round_trips(mode: ChannelMode) -> None:
    state = _state(mode)
    assert decode_state(encode_state(state)) == state
    assert decode_state(encode_state(replace(state, in_flight=None))).in_flight is None


def test_the_sqlite_file_is_private_to_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "cursors" / "c.db"
    store = SqliteCursorStore(path)
    try:
        store.save(_state())
    finally:
        store.close()
    for file in path.parent.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name


def test_two_stores_on_one_file_see_each_others_saves(tmp_path: Path) -> None:
    first, second = SqliteCursorStore(tmp_path / "c.db"), SqliteCursorStore(tmp_path / "c.db")
    try:
        saved = first.save(_state())
        second.save(replace(saved, position=8))
        with pytest.raises(CursorConflict):
            first.save(replace(saved, position=9))
    finally:
        first.close()
        second.close()
