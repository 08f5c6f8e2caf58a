"""What channels need from the outside world: a ledger, a cursor store, a clock.

Adapters: :mod:`plaza.channels.gateways` (``RemoteGateway`` over a node's HTTP API
and event stream, ``LocalGateway`` over an in-process node) and
:mod:`plaza.channels.cursors` (SQLite and in-memory cursor stores).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Protocol

from plaza.channels.model import PublisherState
from plaza.crypto import SigningKey
from plaza.ledger.model import DataPayload, Message
from plaza.ledger.ports import Clock

__all__ = ["Clock", "CursorStore", "Feed", "LedgerGateway", "Submitter"]


class Feed(Iterator[bytes], Protocol):
    """Ids of new messages carrying one of the followed tags, as the node attaches them.

    Iteration blocks until the next message; the adapter's read timeout raises
    :class:`~plaza.channels.errors.LedgerUnavailable` rather than block forever.
    """

    def close(self) -> None:
        """Stop following; safe to call twice."""
        ...


class Submitter(Protocol):
    """The writing half of a gateway: all that announcing and delivering need."""

    def compose(self, signer: SigningKey, payload: DataPayload) -> bytes:
        """A signed message on the ledger's current tips, with its proof of work, not submitted.

        Composing apart from submitting is what lets a publisher persist the exact
        bytes before the node sees them.
        """
        ...

    def submit(self, raw: bytes) -> bytes:
        """Submit canonical message bytes and return the id; a known message is no error."""
        ...


class LedgerGateway(Submitter, Protocol):
    """The ledger as channels use it. Errors are :class:`~plaza.channels.errors.GatewayError`."""

    def find_by_tag(self, tag: bytes, *, limit: int = 100) -> Sequence[bytes]:
        """Ids of messages carrying ``tag``, newest first, at most ``limit``."""
        ...

    def get_message(self, message_id: bytes) -> Message | None:
        """The message with this id, or None if the ledger does not have it."""
        ...

    def follow(self, tags: Collection[bytes]) -> Feed:
        """Start following up to 64 tags; every message attached after this returns is fed."""
        ...


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
