"""Channel messages in carriers: many messages, one proof of work.

A :class:`CarrierWriter` is a ledger for a publisher
that writes many channels at once (the marketplace's twins). The data messages composed
through it are *carried* messages (signed by their own issuers, no work, no parents;
``docs/protocol.md``, "Carried messages"); submitting one only queues it, and
:meth:`CarrierWriter.flush` sends the queue in as few carrier messages as fit, each with
one proof of work. The node files every carried message under its own tag and id, so
readers find and verify it exactly as they would a message of its own.

Until a flush succeeds, what was queued is on no ledger. The queue survives a failed
flush (the next one sends it), and dies with the process: a channel writer that must
not lose a position to a crash queues at most one position of each channel per flush,
the one its cursor keeps as its last message (resent when the channel is reopened), and
treats nothing as written until its flush returned.

A carrier shows that its messages were published together. A publisher of
private or restricted channels that minds that link (one-time issuers keep positions
apart) writes them one by one instead.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from plaza.crypto import SigningKey
from plaza.ledger.carriers import is_carried_raw
from plaza.ledger.codec import carrier_room, decode_message
from plaza.ledger.model import MAX_CARRIED, CarrierPayload, DataPayload, IssuedPayload, Message
from plaza.ledger.ports import Ledger
from plaza.ledger.proxy import LedgerProxy

__all__ = ["CarrierWriter"]


class CarrierWriter(LedgerProxy):
    """A channel ledger whose data messages go out in carriers when :meth:`flush` says."""

    def __init__(self, inner: Ledger) -> None:
        super().__init__(inner)
        self._lock = threading.Lock()
        self._queue: dict[bytes, Message] = {}  # carried messages by id, in order

    @property
    def pending(self) -> int:
        """Carried messages queued and not yet on the ledger."""
        return len(self._queue)

    # -- writing ---------------------------------------------------------------------------

    def compose(
        self,
        signer: SigningKey,
        payload: IssuedPayload,
        *,
        first_parents: Sequence[bytes] = (),
        not_before_ms: int = 0,
    ) -> Message:
        """A carried message for plain data; any other payload, or data too big to share a
        carrier, is composed as a message of its own, with its work."""
        if isinstance(payload, DataPayload) and not first_parents and not not_before_ms:
            carried = self.inner.compose_carried(signer, payload)
            if _fits(carried, []):
                return carried
        return self.inner.compose(
            signer, payload, first_parents=first_parents, not_before_ms=not_before_ms
        )

    def submit(self, raw: bytes) -> bytes:
        """Queue a carried message (its id is known now); send any other at once."""
        if not is_carried_raw(raw):
            return self.inner.submit(raw)
        message = decode_message(raw)
        with self._lock:
            self._queue.setdefault(message.id, message)
        return message.id

    def flush(self) -> int:
        """Send every queued message in carriers; how many carriers went. Raises what the
        ledger raised, keeping what was not sent queued."""
        with self._lock:
            sent = 0
            while self._queue:
                batch = _fill(list(self._queue.values()))
                carrier = self.inner.compose(
                    SigningKey.generate(),  # one-time: nothing links one carrier to the next
                    CarrierPayload(tuple(batch)),
                )
                self.inner.submit(carrier.raw)
                for message in batch:
                    del self._queue[message.id]
                sent += 1
            return sent


def _fits(message: Message, batch: Sequence[Message]) -> bool:
    return _needs(message) <= carrier_room([queued.raw for queued in batch])


def _needs(message: Message) -> int:
    return len(message.raw) + 2  # its u16 length, then its bytes


def _fill(queued: list[Message]) -> list[Message]:
    """The oldest queued messages that fit one carrier (at least one: each fits alone)."""
    batch: list[Message] = []
    room = carrier_room([])
    for message in queued[:MAX_CARRIED]:
        if batch and _needs(message) > room:
            break
        batch.append(message)
        room -= _needs(message)
    return batch
