"""The single exception family raised by :mod:`plaza.crypto`.

Callers catch :class:`CryptoError` to handle "the cryptography said no"
without also swallowing programming errors (``TypeError``, ``ValueError``
from misuse), and catch a leaf to react to one specific failure::

    CryptoError
    ├── BadSignature        a signature does not match message and key
    ├── DecryptionFailed    ciphertext forged, truncated, or wrong key / AD
    ├── InvalidMnemonic     recovery phrase malformed (count, word, checksum)
    ├── InvalidAddress      address text rejected; ``.reason`` says why
    └── InvalidKey          key or seed material of the wrong shape

Messages never contain secret material: they describe *what* was wrong
(a length, a position, a reason), not the offending secret bytes.
"""

from __future__ import annotations

__all__ = [
    "BadSignature",
    "CryptoError",
    "DecryptionFailed",
    "InvalidAddress",
    "InvalidKey",
    "InvalidMnemonic",
]


class CryptoError(Exception):
    """Base of every error this package raises on purpose."""


class BadSignature(CryptoError):
    """A signature does not verify against the given message and public key."""


class DecryptionFailed(CryptoError):
    """Ciphertext could not be authenticated, so no plaintext is released.

    Deliberately one error for every cause (tampering, truncation, wrong key,
    wrong associated data): telling them apart would help an attacker more
    than it helps a caller.
    """


class InvalidMnemonic(CryptoError):
    """A recovery phrase is not a valid 24-word BIP-39 English mnemonic."""


class InvalidAddress(CryptoError):
    """Address text was rejected.

    ``reason`` is a short, stable, machine-friendly description (for example
    ``"bad checksum"`` or ``"wrong length"``) so that user interfaces can
    explain the problem without parsing the message.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return f"invalid address: {self.reason}"


class InvalidKey(CryptoError):
    """Key or seed material has the wrong length or encoding."""
