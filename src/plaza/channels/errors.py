"""Why a channel operation failed.

One family, so a caller can catch "the channel said no" without swallowing
programming errors, and react to a leaf when it matters::

    ChannelError
    ├── WrongKey(position)               an owner-made message is there; our key does not open it
    ├── MessageMissing(position)         the position is empty while later ones are not (a gap)
    ├── ForeignMessage(position, reason) a message at a channel address the owner did not make
    ├── AccessEnded(position, epoch)     a new key epoch began and this reader was left out
    │   ├── AccessExpired                ... because its time or message allowance ran out
    │   └── AccessRevoked                ... because the owner revoked it
    ├── PositionUnavailable(position)    a reader asked to walk back before what it was given
    ├── InvalidChannelData(what)         bytes that are not a valid record, key, delivery or backup
    ├── WrongBackupPassword              a cursor backup does not open with this password
    ├── CursorConflict(channel_id)       another writer moved the channel's cursor meanwhile
    ├── ChannelNotFound(channel_id)      the cursor store holds no such channel
    ├── ModeMismatch(mode, operation)    the operation needs another channel mode
    ├── TooManyReaders(count, limit)     a key epoch cannot wrap its key for that many readers
    ├── UnknownReader(reader)            revoking a reader that holds no grant
    └── ContentTooLarge(size, limit)     the content does not fit in one ledger message

What the ledger could not take or give comes from the channel's ledger port as
:class:`~plaza.ledger.errors.LedgerAccessError` (:class:`LedgerUnavailable`: retry
later; :class:`MessageRefused`: the node refused the message), the family the
wallet and the market see too; :mod:`plaza.channels` re-exports those two.

Messages never contain secret material (keys, chain states, plaintext): they
name positions, epochs, lengths and short public ids only.
"""

from __future__ import annotations

__all__ = [
    "AccessEnded",
    "AccessExpired",
    "AccessRevoked",
    "ChannelError",
    "ChannelNotFound",
    "ContentTooLarge",
    "CursorConflict",
    "ForeignMessage",
    "InvalidChannelData",
    "MessageMissing",
    "ModeMismatch",
    "PositionUnavailable",
    "TooManyReaders",
    "UnknownReader",
    "WrongBackupPassword",
    "WrongKey",
]


def _short(channel_id: bytes) -> str:
    """A channel id prefix: enough to tell channels apart in a log, and public anyway."""
    return channel_id.hex()[:16]


class ChannelError(Exception):
    """Base of every error this package raises on purpose."""


class WrongKey(ChannelError):
    """The message at ``position`` was made by a holder of the chain, but our key fails on it."""

    def __init__(self, position: int) -> None:
        super().__init__(f"the message at position {position} does not open with this key")
        self.position = position


class MessageMissing(ChannelError):
    """Nothing the owner made is at ``position``, yet a later position holds a message."""

    def __init__(self, position: int) -> None:
        super().__init__(f"no message at position {position}, but later positions exist")
        self.position = position


class ForeignMessage(ChannelError):
    """A message at a channel address that the owner did not sign (spam, tampering)."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"foreign message at position {position}: {reason}")
        self.position = position
        self.reason = reason


class AccessEnded(ChannelError):
    """Epoch ``epoch`` starts at ``position`` and its key was not wrapped for this reader."""

    def __init__(self, position: int, epoch: int, why: str = "was left out") -> None:
        super().__init__(f"this reader {why} of key epoch {epoch}, from position {position}")
        self.position = position
        self.epoch = epoch


class AccessExpired(AccessEnded):
    """The reader's grant ran out of time or messages before the new epoch."""

    def __init__(self, position: int, epoch: int) -> None:
        super().__init__(position, epoch, "expired before the start")


class AccessRevoked(AccessEnded):
    """The reader's grant was still running: the owner revoked it."""

    def __init__(self, position: int, epoch: int) -> None:
        super().__init__(position, epoch, "was revoked before the start")


class PositionUnavailable(ChannelError):
    """The chain walks forward only: nothing before ``earliest`` can be derived."""

    def __init__(self, position: int, earliest: int) -> None:
        super().__init__(f"position {position} is before {earliest}, the earliest this key reads")
        self.position = position
        self.earliest = earliest


class InvalidChannelData(ChannelError):
    """Bytes that do not decode as the ``what`` they claim to be."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"invalid {what}: {reason}")
        self.what = what
        self.reason = reason


class WrongBackupPassword(ChannelError):
    """A backup did not authenticate: wrong password, or the file was altered."""

    def __init__(self) -> None:
        super().__init__("the backup does not open with this password (or was altered)")


class CursorConflict(ChannelError):
    """The stored cursor is not the one this publisher last saw: another writer moved it."""

    def __init__(self, channel_id: bytes, expected: int | None, found: int | None) -> None:
        super().__init__(
            f"channel {_short(channel_id)}: cursor version {found} in the store, "
            f"this publisher expected {expected}"
        )
        self.channel_id = channel_id
        self.expected = expected
        self.found = found


class ChannelNotFound(ChannelError):
    def __init__(self, channel_id: bytes) -> None:
        super().__init__(f"no channel {_short(channel_id)} in the cursor store")
        self.channel_id = channel_id


class ModeMismatch(ChannelError):
    """``operation`` is meaningless on a ``mode`` channel (revoking a private one, say)."""

    def __init__(self, mode: str, operation: str) -> None:
        super().__init__(f"{operation} is not possible on a {mode} channel")
        self.mode = mode
        self.operation = operation


class TooManyReaders(ChannelError):
    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"{count} readers; one key epoch wraps its key for at most {limit}")
        self.count = count
        self.limit = limit


class UnknownReader(ChannelError):
    def __init__(self, reader: str) -> None:
        super().__init__(f"reader {reader[:16]}… holds no grant on this channel")
        self.reader = reader


class ContentTooLarge(ChannelError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes of content; one channel message holds at most {limit}")
        self.size = size
        self.limit = limit
