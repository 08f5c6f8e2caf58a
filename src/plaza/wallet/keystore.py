"""The wallet file: the seed and accounts, encrypted under a password.

Layout (JSON)::

    {"format": "plaza-wallet", "version": 1,
     "kdf": {"name": "argon2id", "opslimit": 3, "memlimit": 268435456, "salt": "<hex 16>"},
     "cipher": "xchacha20poly1305",
     "ciphertext": "<hex: nonce || ciphertext || tag>",
     "checksum": "<hex: BLAKE2b-256 of header || ciphertext>"}

The file key is Argon2id of the NFKC-normalised password (memory-hard, so each
guess costs an attacker what it costs us: about half a second and 256 MiB at
the default). XChaCha20-Poly1305 encrypts the contents (seed and accounts)
with the header as associated data, so the KDF parameters cannot be swapped
for weaker ones without detection. The unkeyed checksum only tells accidental
damage (:class:`CorruptWallet`) from a wrong password (:class:`WrongPassword`).

Writes are atomic (temporary file, fsync, rename, fsync of the directory) with
mode 0600; creating never replaces an existing file. Nothing secret reaches a
log, an error message or a ``repr``.
"""

from __future__ import annotations

import json
import logging
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import nacl.pwhash
import nacl.utils

from plaza.crypto import (
    AEAD_KEY_SIZE,
    DecryptionFailed,
    InvalidKey,
    Seed,
    aead_decrypt,
    aead_encrypt,
    blake2b_256,
)
from plaza.wallet.errors import (
    CorruptWallet,
    WalletExists,
    WalletNotFound,
    WalletUnreadable,
    WeakPassword,
    WrongPassword,
)
from plaza.wallet.model import Account, WalletContents

__all__ = ["FORMAT", "MIN_PASSWORD_LENGTH", "FileKey", "KdfParams", "Keystore", "check_password"]

log = logging.getLogger(__name__)

FORMAT = "plaza-wallet"
VERSION = 1
_CIPHER = "xchacha20poly1305"
_KDF = "argon2id"
_SALT_SIZE: int = nacl.pwhash.argon2id.SALTBYTES
_MAX_MEMLIMIT = 4 * 1024**3  # refuse files that would make opening them exhaust memory
_MAX_OPSLIMIT = 64
#: The shortest password a new wallet file is encrypted with.
MIN_PASSWORD_LENGTH = 8


def check_password(password: str) -> None:
    """Refuse (:class:`WeakPassword`) a new file's password shorter than the minimum."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(MIN_PASSWORD_LENGTH)


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id cost. :attr:`MODERATE` for people; :attr:`MINIMUM` only for tests."""

    opslimit: int
    memlimit: int

    MODERATE: ClassVar[KdfParams]
    INTERACTIVE: ClassVar[KdfParams]
    MINIMUM: ClassVar[KdfParams]

    def __post_init__(self) -> None:
        argon = nacl.pwhash.argon2id
        if not argon.OPSLIMIT_MIN <= self.opslimit <= _MAX_OPSLIMIT:
            raise ValueError(f"opslimit {self.opslimit} out of range")
        if not argon.MEMLIMIT_MIN <= self.memlimit <= _MAX_MEMLIMIT:
            raise ValueError(f"memlimit {self.memlimit} out of range")


KdfParams.MODERATE = KdfParams(
    nacl.pwhash.argon2id.OPSLIMIT_MODERATE, nacl.pwhash.argon2id.MEMLIMIT_MODERATE
)
KdfParams.INTERACTIVE = KdfParams(
    nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE, nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE
)
KdfParams.MINIMUM = KdfParams(nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN)


class FileKey:
    """The key derived from the password, with the salt and cost it was derived with.

    Kept by an open wallet so that saving it again needs no password and no
    second (slow) derivation; each save still uses a fresh random nonce.
    """

    __slots__ = ("_key", "kdf", "salt")

    def __init__(self, key: bytes, salt: bytes, kdf: KdfParams) -> None:
        self._key = key
        self.salt = salt
        self.kdf = kdf

    @classmethod
    def derive(cls, password: str, salt: bytes, kdf: KdfParams) -> FileKey:
        secret = unicodedata.normalize("NFKC", password).encode("utf-8")
        key = nacl.pwhash.argon2id.kdf(
            AEAD_KEY_SIZE, secret, salt, opslimit=kdf.opslimit, memlimit=kdf.memlimit
        )
        return cls(key, salt, kdf)

    def header(self) -> dict[str, Any]:
        """The file's public part, which the ciphertext authenticates."""
        return _header(self.kdf, self.salt)

    def seal(self, plaintext: bytes) -> bytes:
        return aead_encrypt(self._key, plaintext, _canonical(self.header()))

    def open(self, ciphertext: bytes) -> bytes:
        return aead_decrypt(self._key, ciphertext, _canonical(self.header()))

    def __repr__(self) -> str:
        return "FileKey(<secret>)"


def _header(kdf: KdfParams, salt: bytes) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "kdf": {
            "name": _KDF,
            "opslimit": kdf.opslimit,
            "memlimit": kdf.memlimit,
            "salt": salt.hex(),
        },
        "cipher": _CIPHER,
    }


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _checksum(header: dict[str, Any], ciphertext: bytes) -> str:
    return blake2b_256(_canonical(header) + ciphertext).hex()


def _encode_contents(contents: WalletContents) -> bytes:
    accounts = [
        {"name": a.name, "index": a.index, "addresses": a.address_count} for a in contents.accounts
    ]
    return _canonical({"seed": contents.seed.hex(), "accounts": accounts})


def _decode_contents(plaintext: bytes) -> WalletContents:
    """Raises ``ValueError``/``KeyError``/``TypeError``/``InvalidKey`` on a bad payload."""
    body = json.loads(plaintext)
    accounts = tuple(
        Account(str(entry["name"]), int(entry["index"]), int(entry["addresses"]))
        for entry in body["accounts"]
    )
    return WalletContents(Seed.from_hex(str(body["seed"])), accounts)


class Keystore:
    """One wallet file on disk."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.exists()

    def create(self, contents: WalletContents, password: str, kdf: KdfParams) -> FileKey:
        """Write a new wallet file; :class:`WalletExists` if there is one. Returns its key."""
        if self.path.exists():
            raise WalletExists(self.path)
        key = FileKey.derive(password, nacl.utils.random(_SALT_SIZE), kdf)
        self._write(contents, key, create=True)
        log.info("wallet created at %s", self.path)
        return key

    def save(self, contents: WalletContents, key: FileKey) -> None:
        """Replace the file's contents atomically, under the key it was opened with."""
        self._write(contents, key, create=False)

    def unlock(self, password: str) -> tuple[WalletContents, FileKey]:
        """Decrypt the file; :class:`WrongPassword` if ``password`` does not open it."""
        document = self._read()
        ciphertext, kdf, salt = self._parse(document)
        key = FileKey.derive(password, salt, kdf)
        try:
            plaintext = key.open(ciphertext)
        except DecryptionFailed:
            raise WrongPassword(self.path) from None
        try:
            contents = _decode_contents(plaintext)
        except (ValueError, KeyError, TypeError, InvalidKey):
            raise CorruptWallet(self.path, "the decrypted contents are not valid") from None
        return contents, key

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_bytes()
        except FileNotFoundError:
            raise WalletNotFound(self.path) from None
        except OSError as error:
            raise WalletUnreadable(self.path, error.strerror or type(error).__name__) from None
        try:
            document = json.loads(text)
        except ValueError:
            raise CorruptWallet(self.path, "not JSON") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise CorruptWallet(self.path, f"not a {FORMAT} file")
        return document

    def _parse(self, document: dict[str, Any]) -> tuple[bytes, KdfParams, bytes]:
        """Ciphertext, KDF cost and salt, once the checksum and the header are verified."""
        if document.get("version") != VERSION:
            raise CorruptWallet(self.path, f"unsupported version {document.get('version')!r}")
        try:
            header = {name: document[name] for name in ("format", "version", "kdf", "cipher")}
            ciphertext = bytes.fromhex(document["ciphertext"])
            checksum = str(document["checksum"])
            kdf_fields = header["kdf"]
            kdf = KdfParams(int(kdf_fields["opslimit"]), int(kdf_fields["memlimit"]))
            salt = bytes.fromhex(kdf_fields["salt"])
        except (KeyError, TypeError, ValueError):
            raise CorruptWallet(self.path, "missing or malformed fields") from None
        if checksum != _checksum(header, ciphertext):
            raise CorruptWallet(self.path, "checksum mismatch")
        if len(salt) != _SALT_SIZE or header != _header(kdf, salt):
            raise CorruptWallet(self.path, "unsupported key derivation or cipher")
        return ciphertext, kdf, salt

    def _write(self, contents: WalletContents, key: FileKey, *, create: bool) -> None:
        header = key.header()
        ciphertext = key.seal(_encode_contents(contents))
        document = {**header, "ciphertext": ciphertext.hex()}
        document["checksum"] = _checksum(header, ciphertext)
        _write_atomically(self.path, json.dumps(document, indent=2).encode(), create=create)

    def __repr__(self) -> str:
        return f"Keystore('{self.path}')"


def _write_atomically(path: Path, data: bytes, *, create: bool) -> None:
    """Write ``data`` so that ``path`` holds either the old bytes or the new, never a mix.

    With ``create`` the file is linked into place, which fails if one appeared
    meanwhile, so two creators cannot overwrite each other.
    """
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = folder / f".{path.name}.{os.getpid()}.{nacl.utils.random(6).hex()}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            os.fchmod(file.fileno(), 0o600)  # whatever the umask
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if create:
            try:
                os.link(temporary, path)
            except FileExistsError:
                raise WalletExists(path) from None
        else:
            os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_directory(folder)


def _fsync_directory(folder: Path) -> None:
    """Make the rename itself durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
