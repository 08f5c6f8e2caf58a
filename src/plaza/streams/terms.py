"""What a payment buys: the subscription rule, as integer arithmetic on milliseconds.

A sensor sells its stream at ``price`` base units per ``period_ms`` and sells no
less than ``minimum_ms`` at once. A payment of ``amount`` buys
``amount * period_ms // price`` milliseconds: overpaying buys proportionally
more time (PEGASUS ignored the surplus), rounding down never gives away a
millisecond nobody paid for, and a payment that buys less than the minimum is
refunded whole with a reason. A renewal extends a running subscription from its
current end; a lapsed one starts again from now. A reader whose subscription
has ended is left out of every later key epoch (:func:`entitled`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from plaza.streams.errors import InvalidTerms

__all__ = [
    "MAX_AMOUNT",
    "Bought",
    "Refund",
    "Subscription",
    "Terms",
    "entitled",
    "extend",
    "purchase",
]

#: Amounts are ledger amounts: below 2^63.
MAX_AMOUNT = 2**63 - 1
#: Periods of at most ten years: longer ones sell nothing a sensor could keep.
MAX_PERIOD_MS = 10 * 366 * 24 * 3_600_000


@dataclass(frozen=True, slots=True)
class Terms:
    """A sensor's price: ``price`` base units per ``period_ms``, ``minimum_ms`` at least."""

    price: int
    period_ms: int
    minimum_ms: int

    def __post_init__(self) -> None:
        if not 0 < self.price <= MAX_AMOUNT:
            raise InvalidTerms(f"the price must be 1 to {MAX_AMOUNT} base units")
        if not 0 < self.period_ms <= MAX_PERIOD_MS:
            raise InvalidTerms(f"the period must be 1 to {MAX_PERIOD_MS} ms")
        if not 0 < self.minimum_ms <= MAX_PERIOD_MS:
            raise InvalidTerms(f"the minimum period must be 1 to {MAX_PERIOD_MS} ms")

    def bought_ms(self, amount: int) -> int:
        """How long ``amount`` buys, rounded down to the millisecond."""
        return amount * self.period_ms // self.price

    def price_of(self, duration_ms: int) -> int:
        """The least amount that buys at least ``duration_ms``."""
        return -(-duration_ms * self.price // self.period_ms)

    @property
    def minimum_price(self) -> int:
        """The least payment a sensor accepts: the price of its minimum period."""
        return self.price_of(self.minimum_ms)


@dataclass(frozen=True, slots=True)
class Bought:
    """A payment accepted: ``duration_ms`` of access for ``amount``."""

    amount: int
    duration_ms: int


@dataclass(frozen=True, slots=True)
class Refund:
    """A payment refused and returned whole, with the reason the buyer is told."""

    amount: int
    reason: str


def purchase(terms: Terms, amount: int) -> Bought | Refund:
    """What ``amount`` buys under ``terms``: time, or a refund saying why not."""
    if not 0 < amount <= MAX_AMOUNT:
        raise InvalidTerms(f"a payment is 1 to {MAX_AMOUNT} base units, got {amount}")
    duration = terms.bought_ms(amount)
    if duration < terms.minimum_ms:
        reason = (
            f"{amount} buys {duration} ms, below the minimum of {terms.minimum_ms} ms "
            f"(which costs {terms.minimum_price})"
        )
        return Refund(amount, reason)
    return Bought(amount, duration)


def extend(current_end_ms: int | None, now_ms: int, duration_ms: int) -> int:
    """The new end of a subscription after buying ``duration_ms`` at ``now_ms``: from the
    current end while it still runs, else from now."""
    start = now_ms if current_end_ms is None else max(current_end_ms, now_ms)
    return start + duration_ms


@dataclass(frozen=True, slots=True)
class Subscription:
    """One reader's access to one sensor: its X25519 key (raw) and when access ends."""

    reader: bytes
    ends_at_ms: int

    def active(self, now_ms: int) -> bool:
        return now_ms < self.ends_at_ms

    def renewed(self, now_ms: int, duration_ms: int) -> Subscription:
        return Subscription(self.reader, extend(self.ends_at_ms, now_ms, duration_ms))


def entitled(subscriptions: Iterable[Subscription], now_ms: int) -> list[bytes]:
    """The readers a key epoch starting at ``now_ms`` is wrapped for: those still running."""
    return sorted(s.reader for s in subscriptions if s.active(now_ms))
