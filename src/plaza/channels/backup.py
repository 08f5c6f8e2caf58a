"""Password-encrypted cursor backups.

A cursor holds the channel secret, so a backup is encrypted under a key
stretched from a password with Argon2id::

    backup = "plaza-chan-backup-v1" || salt 16 || opslimit u32 || memlimit u32
             || XChaCha20-Poly1305(Argon2id(password, salt, opslimit, memlimit), state, AD=header)
"""

from __future__ import annotations

import struct

import nacl.pwhash
import nacl.utils

from plaza.channels.codec import decode_state, encode_state
from plaza.channels.errors import InvalidChannelData, WrongBackupPassword
from plaza.channels.model import PublisherState
from plaza.channels.ports import CursorStore
from plaza.crypto import DecryptionFailed, aead_decrypt, aead_encrypt

__all__ = ["BACKUP_MAGIC", "export_backup", "import_backup", "restore_backup"]

BACKUP_MAGIC = b"plaza-chan-backup-v1"
_PARAMS = struct.Struct("<II")
_SALT_SIZE = 16
_MAX_OPSLIMIT = 64
_MAX_MEMLIMIT = 1 << 30  # refuse a file that asks for more than 1 GiB of memory
DEFAULT_OPSLIMIT: int = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
DEFAULT_MEMLIMIT: int = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE


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
    """The state in a backup; :class:`WrongBackupPassword` if it does not authenticate."""
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
        raise WrongBackupPassword from None


def restore_backup(store: CursorStore, blob: bytes, password: str) -> PublisherState:
    """Put a backup's cursor in ``store`` whatever is there; open a publisher next.

    The backup may be older than the ledger: :meth:`Publisher.open` probes past
    every position taken since, so the restored cursor continues the chain.
    """
    return store.replace(import_backup(blob, password))
