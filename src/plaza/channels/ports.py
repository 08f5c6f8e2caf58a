"""What channels need from the outside world: a ledger, a cursor store, a clock.

The ledger's roles are :mod:`plaza.ledger.ports`'s; either ledger adapter of
:mod:`plaza.adapters.ledger` (in-process or over HTTP) serves. Cursor stores:
:class:`~plaza.channels.memory.MemoryCursorStore` in memory and the adapter
:class:`~plaza.channels.cursors.SqliteCursorStore` on disk.
"""

from __future__ import annotations

from typing import Protocol

from plaza.channels.model import PublisherState
from plaza.ledger.ports import Clock, Composer, Feed, Follower, LedgerReader, Submitter

__all__ = ["ChannelLedger", "Clock", "CursorStore", "Feed", "MessageWriter"]


class MessageWriter(Composer, Submitter, Protocol):
    """The writing half of the ledger: all that announcing and delivering need.

    Composing apart from submitting is what lets a publisher persist the exact
    bytes before the node sees them.
    """


class ChannelLedger(LedgerReader, Composer, Submitter, Follower, Protocol):
    """The ledger as channels use it: read by tag and id, compose, submit, follow.

    Errors are :class:`~plaza.ledger.errors.LedgerAccessError`; a message the
    node refuses for good is :class:`~plaza.ledger.errors.MessageRefused`.
    """


class CursorStore(Protocol):
    """Durable publisher states, one per channel, saved atomically with compare-and-swap.

    The store holds channel secrets: an adapter keeps them out of reach of other
    users (file mode 0600) and never logs them.
    """

    def load(self, channel_id: bytes) -> PublisherState | None:
        """The last saved state of the channel, or None."""
        ...

    def save(self, state: PublisherState) -> PublisherState:
        """Store ``state`` if the stored version is still ``state.version``; return it at
        ``version + 1``. A new channel is saved at version 0. Raises
        :class:`~plaza.channels.errors.CursorConflict` if another writer got there first.
        """
        ...

    def replace(self, state: PublisherState) -> PublisherState:
        """Store ``state`` whatever is stored (restoring a backup); return it as stored."""
        ...

    def channel_ids(self) -> list[bytes]:
        """Ids of every stored channel."""
        ...

    def close(self) -> None:
        """Release the store; it is unusable afterwards."""
        ...
