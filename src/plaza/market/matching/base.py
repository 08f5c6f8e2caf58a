"""What a matching policy is given and what it must do.

A policy decides *which* resting orders an incoming order trades with, *how much*
and *at what price*, and what a periodic clearing does. It updates ``remaining``
on entries, marks the exhausted ones filled (:func:`exhaust`, or :func:`trade`
which does both) and appends :class:`~plaza.market.matching.entries.Fill`
values, which the book turns into journal events. Policies never do I/O and
never read a clock: ``now_ms`` is handed in.

Every policy must keep these rules, which the stateful tests check:

* a fill's quantity is positive and at most both entries' remaining;
* its price is at or above the offer's price and at or below the request's;
* both entries pass :func:`~plaza.market.matching.filters.compatible`;
* an entry whose validity window has ended (``valid_until <= now_ms``) never
  trades. A policy may expire it on the way (:meth:`KindBook.expire`), but only
  where which entries it meets does not depend on how the book happens to be
  laid out (dead entries, bucket order), so that a rebuilt book expires the
  same ones; otherwise it skips it and leaves it to the sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from plaza.market.matching.entries import BookSide, Fill, Resting
from plaza.market.model import OrderStatus

__all__ = ["IndexingPolicy", "KindBook", "MatchingPolicy", "exhaust", "trade"]

_FILLED = OrderStatus.FILLED


class KindBook:
    """The two sides of the book for one kind of good (energy, a data stream, ...)."""

    __slots__ = ("_on_expire", "active", "index", "kind", "offers", "requests")

    def __init__(
        self, kind: str, active: dict[str, Resting], on_expire: Callable[[Resting], None]
    ) -> None:
        self.kind = kind
        self.offers = BookSide()
        self.requests = BookSide()
        #: The engine's active entries by order id (every kind): a fill that exhausts one
        #: removes it.
        self.active = active
        #: Whatever extra index the policy keeps (None for most); built by ``on_rest``.
        self.index: object = None
        self._on_expire = on_expire

    def side_of(self, entry: Resting) -> BookSide:
        return self.offers if entry.is_offer else self.requests

    def opposite(self, entry: Resting) -> BookSide:
        return self.requests if entry.is_offer else self.offers

    def expire(self, entry: Resting) -> None:
        """Take an entry whose window has ended off the book (it stays queued, dead)."""
        self._on_expire(entry)


class MatchingPolicy(Protocol):
    """A pluggable matching rule. ``name`` is recorded on every match it makes."""

    @property
    def name(self) -> str:
        """Short, stable identifier: ``cda``, ``one_to_one``, ``uniform``, ``manual``."""
        ...

    def on_submit(self, book: KindBook, taker: Resting, now_ms: int, fills: list[Fill]) -> None:
        """Match an incoming (or re-enabled) order against the resting ones.

        ``taker`` is not on the book yet; the engine rests what remains of it.
        """
        ...

    def on_clear(self, book: KindBook, now_ms: int, fills: list[Fill]) -> None:
        """Run a periodic clearing of the whole book of one kind (a no-op for most)."""
        ...


@runtime_checkable
class IndexingPolicy(MatchingPolicy, Protocol):
    """A policy that keeps its own index of resting entries in :attr:`KindBook.index`.

    Policies hold no state themselves: whatever they index lives in the book, so
    a rebuilt book (whose entries rest through the same hook) indexes the same.
    """

    def on_rest(self, book: KindBook, entry: Resting) -> None:
        """Index an entry the engine has just put on the book."""
        ...

    def on_shrink(self, book: KindBook, entry: Resting, before: int) -> None:
        """Re-index a resting entry whose remaining fell from ``before`` outside the policy
        (a replayed or manually confirmed fill)."""
        ...


def trade(
    book: KindBook,
    offer: Resting,
    request: Resting,
    quantity: int,
    price: int,
    *,
    fills: list[Fill],
) -> None:
    """Move ``quantity`` from both entries' remaining into a fill; exhausted ones are filled."""
    for entry in (offer, request):
        entry.remaining -= quantity
        if not entry.remaining:
            exhaust(book, entry)
    fills.append((offer, request, quantity, price))


def exhaust(book: KindBook, entry: Resting) -> None:
    """Mark an entry with nothing left as filled and take it out of the active set."""
    entry.live = False
    entry.status = _FILLED
    book.active.pop(entry.id, None)
