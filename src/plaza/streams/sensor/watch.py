"""Which of a process's sensors have a payment coming: one lookup for all of them.

A sensor finds its payments in its address's history (:meth:`PaymentDesk.scan`). With many
sensors in one process (the benchmark's workers, a city), asking every sensor's history at
every poll is most of what they ask of the node: at 200 sensors polling twice a second,
two requests in three. A :class:`PaymentWatch` looks under the two payment tags (direct and
marketplace) once for all of its sensors, and names the sensors a new payment pays (by its
outputs): those scan at every poll until their book has handled it (it confirmed and was
served or refunded) or :data:`GIVE_UP_MS` passed. The watch only says when to look; the
scan decides, as before, so a payment the watch missed (more than a page of them between
two looks) is found by the scan every sensor still makes every ``full_scan_s``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from plaza.clock import Clock
from plaza.ledger.model import Message, TransferPayload
from plaza.streams.market import MARKET_PAYMENT_TAG
from plaza.streams.memo import PAYMENT_TAG

__all__ = ["GIVE_UP_MS", "PaymentWatch", "WatchLedger"]

#: Payments listed per tag and look: more between two looks wait for a full scan.
_PAGE = 100
#: A payment not handled this long after it was seen (never confirmed) is no longer watched.
GIVE_UP_MS = 120_000


class WatchLedger(Protocol):
    def find_by_tag(self, tag: bytes, *, limit: int = 100) -> Iterable[bytes]: ...

    def message(self, message_id: bytes) -> Message | None: ...


class PaymentWatch:
    """The payments seen under the payment tags, and the watched addresses they pay."""

    def __init__(self, gateway: WatchLedger, addresses: Iterable[bytes], *, clock: Clock) -> None:
        self._gateway, self._clock = gateway, clock
        self._addresses = frozenset(addresses)
        self._seen: set[bytes] = set()
        #: address -> payment id -> when it was first seen (ms)
        self._pending: dict[bytes, dict[bytes, int]] = {}

    def look(self) -> None:
        """Note the new payments to the watched addresses (one lookup per tag)."""
        now, listed = self._clock.now_ms(), set[bytes]()
        for tag in (PAYMENT_TAG, MARKET_PAYMENT_TAG):
            for message_id in self._gateway.find_by_tag(tag, limit=_PAGE):
                listed.add(message_id)
                if message_id in self._seen:
                    continue
                for address in self._paid(message_id):
                    self._pending.setdefault(address, {})[message_id] = now
        self._seen = listed  # an id that left the newest page never comes back to it

    def _paid(self, message_id: bytes) -> set[bytes]:
        message = self._gateway.message(message_id)
        if message is None or not isinstance(message.payload, TransferPayload):
            return set()
        return {o.address for o in message.payload.outputs} & self._addresses

    def due(self, address: bytes) -> bool:
        """Whether ``address`` has a payment seen and not yet handled."""
        return bool(self._pending.get(address))

    def handled(self, address: bytes, done: set[bytes]) -> None:
        """Forget the payments to ``address`` its book has ``done``, and those given up on."""
        waiting = self._pending.get(address)
        if not waiting:
            return
        cutoff = self._clock.now_ms() - GIVE_UP_MS
        for message_id, seen_ms in list(waiting.items()):
            if message_id in done or seen_ms < cutoff:
                del waiting[message_id]
