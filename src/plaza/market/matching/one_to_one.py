"""The energy seed's one-to-one policy: a whole request against one offer, oldest first.

The seed's bid manager pairs a new offer or request with one stored counterpart
where "request energy < offered energy && offered price < requested price",
and sends the pair to the marketplace with the offer's price and the request's
amount. Plaza keeps that rule with inclusive bounds (a request for exactly what
is offered, at exactly the asked price, matches too), never self-matches, and
picks the *oldest* eligible counterpart rather than the best-priced one.

A request is never split: it trades whole against one offer or rests. An offer
may serve several requests one after another; its unsold remainder stays on the
book (the seed dropped the matched offer, losing energy its producer still had).
Every match is at the offer's price.

Finding "the oldest entry with a crossing price *and* a fitting quantity" by
scanning price levels degrades as unfit entries pile up (small offers that no
big request can use). The policy therefore indexes resting entries in buckets
per price level and quantity class (the bit length of what remained when the
entry rested), FIFO within each; a search looks only at classes that can fit
and stops in a bucket as soon as entries get younger than the best found.
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from operator import attrgetter

from plaza.market.matching.base import KindBook, trade
from plaza.market.matching.entries import Fill, Resting
from plaza.market.matching.filters import compatible

__all__ = ["OneToOne"]

_COMPACT_FLOOR = 1024

Classes = dict[int, deque[Resting]]
_priority = attrgetter("priority")


class _Buckets:
    """One side's entries by price key, then quantity class, each bucket in priority order."""

    __slots__ = ("appended", "levels", "threshold")

    def __init__(self) -> None:
        self.levels: dict[int, Classes] = {}
        self.appended = 0
        self.threshold = _COMPACT_FLOOR

    def add(self, entry: Resting) -> None:
        classes = self.levels.setdefault(entry.key, {})
        classes.setdefault(entry.remaining.bit_length(), deque()).append(entry)
        self.appended += 1
        if self.appended > self.threshold:
            self.compact()

    def insert(self, entry: Resting) -> None:
        """File an entry again under its current class, keeping the bucket in priority order."""
        classes = self.levels.setdefault(entry.key, {})
        queue = classes.setdefault(entry.remaining.bit_length(), deque())
        insort(queue, entry, key=_priority)
        self.appended += 1

    def compact(self) -> None:
        """Re-file every live entry once, under its current class: O(1) amortised, as it
        runs when the index has doubled since the last time."""
        live = {
            e.id: e
            for classes in self.levels.values()
            for q in classes.values()
            for e in q
            if e.live
        }
        self.levels = {}
        for entry in sorted(live.values(), key=_priority):
            classes = self.levels.setdefault(entry.key, {})
            classes.setdefault(entry.remaining.bit_length(), deque()).append(entry)
        self.appended = len(live)
        self.threshold = 2 * len(live) + _COMPACT_FLOOR


class OneToOne:
    """Whole requests, one offer each, oldest eligible counterpart first, at the offer's price."""

    name = "one_to_one"

    def on_rest(self, book: KindBook, entry: Resting) -> None:
        offers, requests = _index(book)
        (offers if entry.is_offer else requests).add(entry)

    def on_shrink(self, book: KindBook, entry: Resting, before: int) -> None:
        """Also file a partly filled entry under its smaller class, in priority order."""
        if entry.live and entry.remaining.bit_length() != before.bit_length():
            offers, requests = _index(book)
            (offers if entry.is_offer else requests).insert(entry)

    def on_submit(self, book: KindBook, taker: Resting, now_ms: int, fills: list[Fill]) -> None:
        offers, requests = _index(book)
        limit = -taker.key  # crossing prices, as keys of the opposite side
        if not taker.is_offer:
            offer = _oldest(offers, taker, limit, now_ms)
            if offer is not None:
                before = offer.remaining
                trade(book, offer, taker, taker.remaining, offer.price, fills=fills)
                self.on_shrink(book, offer, before)
            return
        while taker.remaining:
            request = _oldest(requests, taker, limit, now_ms)
            if request is None:
                return
            trade(book, taker, request, request.remaining, taker.price, fills=fills)

    def on_clear(self, book: KindBook, now_ms: int, fills: list[Fill]) -> None:
        """Nothing to do: pairs are made as orders arrive."""


def _index(book: KindBook) -> tuple[_Buckets, _Buckets]:
    index = book.index
    if index is None:
        index = book.index = (_Buckets(), _Buckets())
    assert isinstance(index, tuple)
    return index


def _oldest(buckets: _Buckets, taker: Resting, limit: int, now_ms: int) -> Resting | None:
    """The oldest live, compatible entry with a crossing price whose quantity fits ``taker``.

    An offer fits a request if it has at least what the request wants; a request
    fits an offer if it wants at most what the offer has left. The search is
    exact whatever the buckets hold, and has no side effects: overdue entries are
    skipped, not expired (the sweep expires them), so a rebuilt book, whose
    buckets may be laid out differently, finds the same counterpart.
    """
    wanted = taker.remaining
    boundary = wanted.bit_length()
    taker_is_offer = taker.is_offer
    best: Resting | None = None
    for key in [k for k in buckets.levels if k <= limit]:
        classes = buckets.levels[key]
        for cls in list(classes):
            if (cls > boundary) if taker_is_offer else (cls < boundary):
                continue
            queue = classes[cls]
            while queue and not queue[0].live:
                queue.popleft()
            if not queue:
                del classes[cls]
                continue
            for entry in queue:
                if best is not None and entry.priority > best.priority:
                    break
                if not entry.live or entry.valid_until <= now_ms:
                    continue
                fits = entry.remaining <= wanted if taker_is_offer else entry.remaining >= wanted
                if fits and compatible(taker, entry):
                    best = entry
                    break
        if not classes:
            del buckets.levels[key]
    return best
