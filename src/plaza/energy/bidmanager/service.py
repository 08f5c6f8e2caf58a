"""The bid manager: the seed's bids on Plaza's order book, matched by a pluggable policy.

The seed's bid manager is an unauthenticated in-memory list. Here bids are
letters from the marketplace's key only, and they rest on Plaza's durable order
book (:class:`plaza.market.book.service.BidManager` over its journal), so any market
policy can match them: the seed's one-to-one rule by default, a continuous
double auction, or a periodic uniform-price clearing that :meth:`cycle` runs.

A seed contract joins one whole request with one offer, and each transaction
is in at most one contract (the provider releases the rest of its offer when
the contract arrives). Policies know nothing of that, so every match the book
journals is turned into seed terms, in journal order:

* both bids still open and the whole request filled: a contract. ``/match``
  goes to the marketplace and both bids leave the book (the seed removes matched
  bids), whatever remains of the offer included;
* a bid whose counterpart was already contracted in the same step (an offer
  that met several requests at once) goes back on the book, a fresh order;
* a request a policy split between offers cannot be a seed contract: it is
  closed, and its asset cancels it and asks again after its waiting time.

When the marketplace refuses a ``/match`` (:meth:`EnergyBidManager.match_refused`,
called by the outbox with the refused letter's body and the refusal's details), the
pair is remembered and never sent again. The bids the refusal's details name dead
(``{"dead": ["offer:<id>"]}``: a bid no longer open, unknown or different there, or
the request of an excluded consumer) are closed; the other one, and both when the
refusal names none (it has no details), goes back on the book as a fresh order,
unless a ``/remove`` came for it. The wording of the reason is only logged, never
read. Should a remembered pair meet again on the book (the refusal named neither),
the offer goes back and the request is closed, so the two never loop.

Reading the matches from the journal, not from the command's answer, means a
crash between the book and the letters is healed by reading the journal again
(:meth:`EnergyBidManager.cycle`): every step above is idempotent.

A bid's orders carry its seed fields and are keyed ``<bid key>#<generation>`` on the
book (:mod:`~plaza.energy.bidmanager.model`), so the book says which bid an order
stands for and which order stands for a bid. Each order is booked before the bid's
record moves to it: after a crash between the two, whatever runs the step again (the
marketplace resending the bid, the journal read again, a refused ``/match`` delivered
again) finds the same order by its key; a match of a bid booked but not yet recorded
is handled as an open bid's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from plaza.crypto import Identity, PublicKey
from plaza.energy.bidmanager.model import (
    ENERGY,
    Bid,
    BidRecord,
    BidState,
    bid_key,
    dead_bids,
    match_key,
    order_key,
    removal_key,
    transaction_of,
)
from plaza.energy.bidmanager.ports import BidStore, Clock
from plaza.energy.bidmanager.upgrade import carry_over, with_fields
from plaza.energy.envelope import ModuleKey, open_letter
from plaza.energy.errors import NO_DETAILS, Details, EnergyError, InvalidMessage, WrongState
from plaza.energy.link import LetterSender
from plaza.energy.model import TransactionType
from plaza.energy.peers import BIDMANAGER, MARKETPLACE
from plaza.market.auth import MemoryNonceStore, NonceStore
from plaza.market.book.journal import OrderStatusChanged
from plaza.market.book.ports import BookStore
from plaza.market.book.service import BidManager
from plaza.market.errors import IdempotencyConflict, InvalidOrder
from plaza.market.model import Match, NewOrder, Order, OrderStatus

__all__ = ["ENERGY", "EnergyBidManager"]


class EnergyBidManager:
    """Seed bids in from the marketplace, seed matches out to it."""

    def __init__(
        self,
        *,
        identity: Identity,
        book: BidManager,
        journal: BookStore,
        store: BidStore,
        outbox: LetterSender,
        clock: Clock,
        marketplace_key: ModuleKey,
        validity_ms: int,
        nonces: NonceStore | None = None,
    ) -> None:
        self._identity = identity
        self._book = book
        self._journal = journal
        self._store = store
        self._outbox = outbox
        self._clock = clock
        self._marketplace_key = marketplace_key
        self._validity_ms = validity_ms
        self._policy = book.statistics().policy
        self._nonces = nonces or MemoryNonceStore()
        self._lock = threading.RLock()
        carry_over(store, self._rebook, validity_ms)

    @property
    def key(self) -> ModuleKey:
        return ModuleKey.of(self._identity)

    @property
    def book(self) -> BidManager:
        """The order book the bids rest on, for readers (the public marketplace page)."""
        return self._book

    # -- letters --------------------------------------------------------------------

    def offer(self, document: bytes) -> dict[str, Any]:
        """A new offer: on the book, matched by the policy."""
        return self._run("offer", lambda body: self._intake(body, TransactionType.OFFER), document)

    def request(self, document: bytes) -> dict[str, Any]:
        """A new request: on the book, matched by the policy."""
        return self._run(
            "request", lambda body: self._intake(body, TransactionType.REQUEST), document
        )

    def remove(self, document: bytes) -> dict[str, Any]:
        """A cancelled offer or request leaves the book (or will never join it)."""
        return self._run("remove", self._remove, document)

    def match_refused(
        self, body: Mapping[str, Any], reason: str, *, details: Details = NO_DETAILS
    ) -> None:
        """The marketplace refused the ``/match`` whose body was ``body``, saying ``reason``.

        The pair is never sent again. Of its two bids, those ``details["dead"]`` names
        (``offer:<id>``, ``request:<id>``) are closed; the other (both, when it names
        neither or there are no details) goes back on the book as a fresh order, unless
        it was removed meanwhile. ``reason`` is only logged. A second call changes nothing.
        """
        with self._lock:
            offer, request = (
                self._bid_in(body, TransactionType.OFFER),
                self._bid_in(body, TransactionType.REQUEST),
            )
            if offer is None or request is None:
                self._log("match_refused", "", "skipped", f"not a pair of known bids: {reason}")
                return
            pair = f"{offer.key}|{request.key}"
            now = self._clock.now_ms()
            self._store.add_refused_match(offer.key, request.key, reason=reason, now_ms=now)
            self._log("match_refused", pair, "refused", reason)
            dead = dead_bids(details)
            for record, other in ((offer, request), (request, offer)):
                if record.state is not BidState.CONTRACTED or record.reason != other.key:
                    continue  # removed meanwhile, or this refusal was handled already
                if record.key in dead:
                    self._close(record, BidState.CLOSED, f"match refused: {reason}")
                else:
                    why = f"back on the book: its match with {other.key} was refused"
                    self._requeue(record, why, sent=body.get(record.key.partition(":")[0]))
            self._drain()

    # -- periodic work and reads ----------------------------------------------------

    def cycle(self) -> None:
        """Clear the book (periodic policies), expire old bids, turn new matches into letters
        (those a crash left unread too)."""
        with self._lock:
            self._book.clear(ENERGY)
            self._book.expire_orders()
            self._drain()

    def statistics(self) -> dict[str, int]:
        book = self._book.statistics()
        return {
            **self._store.statistics(),
            "book_orders": book.orders,
            "book_offers": book.active_offers,
            "book_requests": book.active_requests,
        }

    # -- steps ----------------------------------------------------------------------

    def _run(
        self, operation: str, action: Callable[[Mapping[str, Any]], str], document: bytes
    ) -> dict[str, Any]:
        with self._lock:
            try:
                letter = open_letter(
                    document,
                    identity=self._identity,
                    audience=BIDMANAGER,
                    now_ms=self._clock.now_ms(),
                    nonces=self._nonces,
                    known_key=self._known,
                )
                record_id = action(letter.body)
            except EnergyError as error:
                self._log(operation, "", "refused", f"{error.code}: {error.message}")
                raise
            self._log(operation, record_id, "ok", "")
        return {}

    def _known(self, sender: str) -> PublicKey | None:
        return self._marketplace_key.signing if sender == MARKETPLACE else None

    def _intake(self, body: Mapping[str, Any], side: TransactionType) -> str:
        """Book a new bid, under its key: the book answers a resent bid with its order, and
        refuses one that differs (its orders are keyed per asset, hence the owner check)."""
        bid = Bid.parse(body, side)
        if self._store.removed(bid.key):
            self._log(str(side), bid.key, "ignored", "removed before it arrived")
            return bid.key
        known = self._store.bid(bid.key)
        differs = WrongState(f"{bid.key} was received before, differently")
        if known is not None and known.owner != bid.asset_id:
            raise differs
        try:
            order = bid.new_order(self._validity_ms)
            self._book.submit_order(order, idempotency_key=order_key(bid.key, 0))
        except InvalidOrder as error:
            raise InvalidMessage(str(error)) from None
        except IdempotencyConflict:
            raise differs from None
        if known is None:
            self._store.save_bid(BidRecord(bid.key, bid.asset_id))
        self._drain()
        return bid.key

    def _remove(self, body: Mapping[str, Any]) -> str:
        key = removal_key(body)
        record = self._store.bid(key)
        if record is None:
            if not self._store.removed(key):
                self._store.add_removal(key, now_ms=self._clock.now_ms())
        elif record.state is BidState.OPEN:
            self._close(record, BidState.REMOVED, "removed by the marketplace")
        elif record.state is BidState.CONTRACTED:
            # the marketplace removes only bids it has not contracted: this one's match will be
            # refused, and then it must not go back on the book
            self._close(record, BidState.REMOVED, "removed by the marketplace before its match")
        return key

    def _bid_in(self, body: Mapping[str, Any], side: TransactionType) -> BidRecord | None:
        """The record of the bid of ``side`` in a ``/match`` body, or None."""
        key = match_key(body, side)
        return None if key is None else self._store.bid(key)

    # -- the book -------------------------------------------------------------------

    def _order(self, record: BidRecord) -> Order:
        """The order of the bid's current generation: a record moves to a generation only
        once its order is on the book."""
        order = self._book.keyed_order(record.owner, order_key(record.key, record.generation))
        assert order is not None, f"{record.key} has no order of generation {record.generation}"
        return order

    def _current(self, order_id: str) -> BidRecord | None:
        """The bid this order stands for now (open at generation 0 if the process stopped
        between booking the bid and recording it); None for an older generation's order,
        or an order of no bid."""
        order = self._book.order(order_id)
        transaction = transaction_of(order)
        if transaction is None:
            return None
        key = bid_key(*transaction)
        record = self._store.bid(key) or BidRecord(key, order.owner)
        return record if self._order(record).id == order_id else None

    def _withdraw(self, record: BidRecord) -> None:
        """Take what remains of the bid's current order off the book (a previous version's
        bid may have none: it was stored before it was booked)."""
        order = self._book.keyed_order(record.owner, order_key(record.key, record.generation))
        if order is not None and order.status.is_open:
            self._book.cancel_order(order.id, participant=record.owner)

    def _close(self, record: BidRecord, state: BidState, reason: str) -> None:
        self._withdraw(record)
        self._store.save_bid(replace(record, state=state, reason=reason))
        self._log(str(state), record.key, "ok", reason)

    def _requeue(self, record: BidRecord, reason: str = "", *, sent: object = None) -> None:
        """The bid goes back on the book (open again) as a fresh order of the same spec (one
        the previous version booked takes its fields from the ``/match`` ``sent``)."""
        spec = with_fields(self._order(record).spec, record, sent, self._validity_ms)
        self._store.save_bid(self._rebook(record, spec, reason))

    def _rebook(self, record: BidRecord, spec: NewOrder, reason: str) -> BidRecord:
        """Book ``spec`` as the bid's next generation under its key (a retry books it once), the
        current order withdrawn: the record to save, open, or closed if its validity ended."""
        self._withdraw(record)
        if reason:
            self._log("requeue", record.key, "ok", reason)
        fresh = replace(
            record, state=BidState.OPEN, generation=record.generation + 1, reason=reason
        )
        try:
            self._book.submit_order(spec, idempotency_key=order_key(fresh.key, fresh.generation))
        except InvalidOrder as error:
            self._log(str(BidState.CLOSED), record.key, "ok", str(error))
            return replace(record, state=BidState.CLOSED, reason=str(error))
        return fresh

    # -- matches --------------------------------------------------------------------

    def _drain(self) -> None:
        """Turn every journaled step not handled yet into letters, requeues and closes."""
        while entries := list(self._journal.entries(after_step=self._store.processed_through())):
            for entry in entries:
                for event in entry.events:
                    if (
                        isinstance(event, OrderStatusChanged)
                        and event.status is OrderStatus.EXPIRED
                    ):
                        self._expired(event.order_id)
                for match in entry.matches():
                    self._settle(match)
                self._store.set_processed(entry.step)

    def _expired(self, order_id: str) -> None:
        record = self._current(order_id)
        if record is not None and record.state is BidState.OPEN:
            self._store.save_bid(replace(record, state=BidState.CLOSED, reason="expired"))

    def _settle(self, match: Match) -> None:
        offer, request = self._current(match.offer_id), self._current(match.request_id)
        whole = match.quantity == self._book.order(match.request_id).quantity
        if (
            offer is not None
            and request is not None
            and offer.state is BidState.OPEN
            and request.state is BidState.OPEN
            and whole
        ):
            if not self._store.refused_match(offer.key, request.key):
                self._contract(offer, request, match)
                return
            self._refused_again(offer, request)
            return
        for record in (offer, request):
            if record is None or record.state is not BidState.OPEN:
                continue  # an older generation's fill, or handled already
            if record is request and not whole:
                reason = f"split by the {self._policy} policy: a seed contract takes whole requests"
                self._close(record, BidState.CLOSED, reason)
            else:
                self._requeue(record)

    def _refused_again(self, offer: BidRecord, request: BidRecord) -> None:
        """A pair the marketplace refused met again: the offer goes back, the request closes.

        Both went back on the book after a refusal that named neither; re-booking both
        again would match them again, forever. A closed request is cancelled by its
        asset after its waiting time and asked for anew, as a split one is.
        """
        pair = f"{offer.key}|{request.key}"
        self._log("match", pair, "skipped", "the marketplace refused this pair before")
        reason = f"the marketplace refused its match with {offer.key} before"
        self._close(request, BidState.CLOSED, reason)
        self._requeue(offer, f"its counterpart {request.key} was refused with it before")

    def _contract(self, offer: BidRecord, request: BidRecord, match: Match) -> None:
        """Both bids leave the book; the marketplace gets the pair, the seed's fields the
        matched orders carry (once per pair)."""
        fields = {
            "offer": dict(self._book.order(match.offer_id).attributes),
            "request": dict(self._book.order(match.request_id).attributes),
        }
        for record in (offer, request):
            self._withdraw(record)
        pair = f"{offer.key}|{request.key}"
        self._outbox.send(
            path="/match",
            recipient=self._marketplace_key,
            audience=MARKETPLACE,
            body=fields,
            key=f"{BIDMANAGER}:match:{pair}",
        )
        now = self._clock.now_ms()
        with self._store.atomic():
            self._store.save_bid(replace(offer, state=BidState.CONTRACTED, reason=request.key))
            self._store.save_bid(replace(request, state=BidState.CONTRACTED, reason=offer.key))
            self._store.add_match(offer.key, request.key, now_ms=now)
        self._log("match", pair, "ok", "")

    def _log(self, operation: str, record_id: str, outcome: str, detail: str) -> None:
        self._store.log(
            now_ms=self._clock.now_ms(),
            operation=operation,
            record_id=record_id,
            outcome=outcome,
            detail=detail,
        )
