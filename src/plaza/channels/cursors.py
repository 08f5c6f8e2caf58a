"""Cursor stores (SQLite and in-memory) and password-encrypted cursor backups.

A cursor holds the channel secret, so the SQLite file is created with mode
0600 before SQLite opens it (SQLite gives its WAL files the same mode), and a
backup is encrypted under a key stretched from a password with Argon2id::

    backup = "plaza-chan-backup-v1" || salt 16 || opslimit u32 || memlimit u32
             || XChaCha20-Poly1305(Argon2id(password, salt, opslimit, memlimit), state, AD=header)

The store runs SQLite in WAL mode with ``synchronous=NORMAL``: a commit survives
the process being killed. After a power cut the last commits may be lost, but
no position is reused even then, because opening a publisher probes the ledger
past every position already taken (see :mod:`plaza.channels.publisher`).
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import struct
import threading
from pathlib import Path

import nacl.pwhash
import nacl.utils

from plaza.channels.codec import decode_state, encode_state
from plaza.channels.errors import CursorConflict, InvalidChannelData, WrongPassword
from plaza.channels.model import PublisherState
from plaza.channels.ports import CursorStore
from plaza.crypto import DecryptionFailed, aead_decrypt, aead_encrypt

__all__ = [
    "MemoryCursorStore",
    "SqliteCursorStore",
    "export_backup",
    "import_backup",
    "restore_backup",
]

BACKUP_MAGIC = b"plaza-chan-backup-v1"
_PARAMS = struct.Struct("<II")
_SALT_SIZE = 16
_MAX_OPSLIMIT = 64
_MAX_MEMLIMIT = 1 << 30  # refuse a file that asks for more than 1 GiB of memory
DEFAULT_OPSLIMIT: int = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
DEFAULT_MEMLIMIT: int = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE


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


class SqliteCursorStore:
    """Cursor states in one SQLite file; compare-and-swap under ``BEGIN IMMEDIATE``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS channel_cursors "
            "(channel_id BLOB PRIMARY KEY, version INTEGER NOT NULL, state BLOB NOT NULL)"
        )

    def load(self, channel_id: bytes) -> PublisherState | None:
        with self._lock:
            row = self._db.execute(
                "SELECT version, state FROM channel_cursors WHERE channel_id = ?", (channel_id,)
            ).fetchone()
        return None if row is None else decode_state(row[1], row[0])

    def save(self, state: PublisherState) -> PublisherState:
        return self._write(state, check=True)

    def replace(self, state: PublisherState) -> PublisherState:
        return self._write(state, check=False)

    def _write(self, state: PublisherState, *, check: bool) -> PublisherState:
        channel_id = state.channel.id
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT version FROM channel_cursors WHERE channel_id = ?", (channel_id,)
                ).fetchone()
                found = None if row is None else int(row[0])
                if check and found != state.version:
                    raise CursorConflict(channel_id, state.version, found)
                version = 0 if found is None else found + 1
                self._db.execute(
                    "INSERT OR REPLACE INTO channel_cursors VALUES (?, ?, ?)",
                    (channel_id, version, encode_state(state)),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return dataclasses.replace(state, version=version)

    def channel_ids(self) -> list[bytes]:
        with self._lock:
            rows = self._db.execute("SELECT channel_id FROM channel_cursors ORDER BY 1").fetchall()
        return [bytes(row[0]) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _backup_key(password: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    key: bytes = nacl.pwhash.argon2id.kdf(
        32, password.encode(), salt, opslimit=opslimit, memlimit=memlimit
    )
    return key


def export_backup(
    state: PublisherState,
    password: str,
    *,
    opslimit: int = DEFAULT_OPSLIMIT,
    memlimit: int = DEFAULT_MEMLIMIT,
) -> bytes:
    """The state encrypted under ``password``: safe to keep where others can read it."""
    if not password:
        raise ValueError("a backup needs a non-empty password")
    salt = nacl.utils.random(_SALT_SIZE)
    header = BACKUP_MAGIC + salt + _PARAMS.pack(opslimit, memlimit)
    key = _backup_key(password, salt, opslimit, memlimit)
    return header + aead_encrypt(key, encode_state(state), header)


def import_backup(blob: bytes, password: str) -> PublisherState:
    """The state in a backup; :class:`WrongPassword` if it does not authenticate."""
    size = len(BACKUP_MAGIC) + _SALT_SIZE + _PARAMS.size
    if len(blob) < size or not blob.startswith(BACKUP_MAGIC):
        raise InvalidChannelData("backup", "not a Plaza channel backup")
    header = blob[:size]
    salt = header[len(BACKUP_MAGIC) : len(BACKUP_MAGIC) + _SALT_SIZE]
    opslimit, memlimit = _PARAMS.unpack_from(header, len(BACKUP_MAGIC) + _SALT_SIZE)
    if not (1 <= opslimit <= _MAX_OPSLIMIT and 8192 <= memlimit <= _MAX_MEMLIMIT):
        raise InvalidChannelData("backup", "key stretching parameters out of range")
    key = _backup_key(password, salt, opslimit, memlimit)
    try:
        return decode_state(aead_decrypt(key, blob[size:], header))
    except DecryptionFailed:
        raise WrongPassword from None


def restore_backup(store: CursorStore, blob: bytes, password: str) -> PublisherState:
    """Put a backup's cursor in ``store`` whatever is there; open a publisher next.

    The backup may be older than the ledger: :meth:`Publisher.open` probes past
    every position taken since, so the restored cursor continues the chain.
    """
    return store.replace(import_backup(blob, password))
