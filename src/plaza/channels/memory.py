"""Cursor states in a dict: for tests, and for throwaway channels."""

from __future__ import annotations

import dataclasses
import threading

from plaza.channels.codec import decode_state, encode_state
from plaza.channels.errors import CursorConflict
from plaza.channels.model import PublisherState

__all__ = ["MemoryCursorStore"]


class MemoryCursorStore:
    """Cursor states in a dict: for tests, and for throwaway channels."""

    def __init__(self) -> None:
        self._rows: dict[bytes, tuple[int, bytes]] = {}
        self._lock = threading.Lock()

    def load(self, channel_id: bytes) -> PublisherState | None:
        row = self._rows.get(channel_id)
        return None if row is None else decode_state(row[1], row[0])

    def save(self, state: PublisherState) -> PublisherState:
        with self._lock:
            row = self._rows.get(state.channel.id)
            found = None if row is None else row[0]
            if found != state.version:
                raise CursorConflict(state.channel.id, state.version, found)
            return self._put(state, 0 if found is None else found + 1)

    def replace(self, state: PublisherState) -> PublisherState:
        with self._lock:
            row = self._rows.get(state.channel.id)
            return self._put(state, 0 if row is None else row[0] + 1)

    def _put(self, state: PublisherState, version: int) -> PublisherState:
        self._rows[state.channel.id] = (version, encode_state(state))
        return dataclasses.replace(state, version=version)

    def channel_ids(self) -> list[bytes]:
        return sorted(self._rows)

    def close(self) -> None:
        self._rows.clear()
