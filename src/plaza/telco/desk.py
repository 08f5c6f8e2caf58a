"""The telco order desk: product orders placed from matches by either side, confirmed by the
other, paid by holds the market settles.

A service provider places an order from its request and one of its matching
offers, with the hold that pays the offer's price already confirmed on the
ledger (payer the provider of the request, payee the asset's owner, the
marketplace as arbiter, open at least until the window ends): its hold is its
confirmation, and the asset provider confirms the order. An asset provider
places one from its offer and a matching request, carrying no payment: the
service provider confirms it with such a hold. The desk checks the hold where
one comes; on confirmation it makes the match on the market's book (so the
offer and the request are filled, the match is on their twins and a contract
is signed, whose settlement waits for the window to end rather than the
market's provision timeout). The orchestrator is the one the asset names (its
``orchestrator`` attribute), else the asset provider itself.

Every later step is the domain's (:mod:`plaza.telco.orders`). A step that pays
from the hold (a part payment as delivery runs, or the settlement closing it) is
saved first; then the marketplace, as arbiter, composes, keeps and sends its
message, and the closing one is recorded on the contract's settlement as its
payment (a refund: as its cancellation), which the market confirms on the
ledger and fulfils like any payment (:mod:`plaza.telco.paying`). Each step is
announced to the order's parties and orchestrator (``ProductOrderCreateEvent``,
``ProductOrderStateChangeEvent``) and recorded, signed, on the marketplace's
orders channel.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

from plaza.clock import Clock
from plaza.ledger.holds import HoldRecord
from plaza.market.auth import Principal, Role, Scope
from plaza.market.auth.errors import ParticipantNotFound
from plaza.market.auth.service import ParticipantRegistry
from plaza.market.marketplace import Marketplace
from plaza.market.model import Order
from plaza.market.payments.holds import ArbiterHolds, HoldNotOpen, HoldRefused, HoldTerms
from plaza.telco.assets import ORCHESTRATOR
from plaza.telco.orders import OrderRefused, OrderState, ProductOrder
from plaza.telco.paying import TAG, OrderPayments
from plaza.telco.placing import Placement, check_match, overlap, who
from plaza.telco.store import OrderStore

__all__ = [
    "CREATED",
    "GRACE_MS",
    "STATE_CHANGED",
    "TAG",
    "Announce",
    "OrderDesk",
    "Placement",
    "Record",
]

CREATED = "ProductOrderCreateEvent"
STATE_CHANGED = "ProductOrderStateChangeEvent"
#: How long after delivery can start the desk waits for the orchestrator's report before
#: time starts it (and its payments).
GRACE_MS = 5_000
_STRIPES = 64


#: Publishes one event about an order to the participants it names.
Announce = Callable[[str, ProductOrder], None]
#: Records an order's steps on the orders channel (again: adds nothing); never raises.
Record = Callable[[ProductOrder], None]


class OrderDesk:
    """Product orders over one marketplace; ``holds`` is None without a ledger node."""

    def __init__(
        self,
        marketplace: Marketplace,
        *,
        registry: ParticipantRegistry,
        holds: ArbiterHolds | None,
        clock: Clock,
        store: OrderStore,
        announce: Announce,
        record: Record = lambda _order: None,
        grace_ms: int = GRACE_MS,
        lock: AbstractContextManager[object] | None = None,
    ) -> None:
        self._market = marketplace
        self._grace_ms = grace_ms
        self._registry = registry
        self._holds = holds
        self._clock = clock
        self._store = store
        self._announce = announce
        self._record = record
        # An order's steps, one at a time (reentrant); across processes too when the store
        # is shared by several workers (a FileLock beside it).
        self._lock = lock or threading.RLock()
        # Placing is serialised per hold only (a stripe of locks by its id): one hold pays
        # one order, while orders paid by different holds are placed side by side.
        self._placing = tuple(threading.Lock() for _ in range(_STRIPES))
        self._payments = OrderPayments(marketplace, self._ledger, store)

    @property
    def arbiter(self) -> str | None:
        """The address a hold names as arbiter (None: no ledger, no orders)."""
        return None if self._holds is None else str(self._holds.address)

    # -- placing ---------------------------------------------------------------------

    def place(self, caller: Principal, placement: Placement) -> tuple[ProductOrder, bool]:
        """The order (and whether it is new: False for a hold already placed, replayed)."""
        holds = self._ledger()
        request = self._market.order(caller, placement.request_id)
        offer = self._market.order(caller, placement.offer_id)
        check_match(request, offer)
        by = who(caller)
        if by not in (request.owner, offer.owner):
            why = "an order is placed by the request's or the offer's owner"
            raise OrderRefused(403, "not_party", why)
        window = overlap(offer, request)
        order = ProductOrder(
            f"po-{secrets.token_hex(10)}",
            offer.id,
            request.id,
            "",
            offer.asset_id or "",
            request.owner,
            offer.owner,
            self._orchestrator(caller, offer, placement.orchestrator),
            window,
            offer.unit_price,
            "" if placement.hold_id is None else placement.hold_id.hex(),
        )
        if placement.hold_id is None or by != order.customer:
            order = self._store.add(order.placed(self._clock.now_ms(), by))
        else:
            stripe = self._placing[int.from_bytes(placement.hold_id[:4], "big") % _STRIPES]
            with stripe:
                known = self._store.by_hold(order.hold_id)
                if known is not None:
                    return self._replayed(known, placement), False
                self._check_hold(holds, placement.hold_id, self._terms(order))
                order = self._store.add(order.placed(self._clock.now_ms(), by))
        self._record(order)
        self._announce(CREATED, order)
        return order, True

    def _ledger(self) -> ArbiterHolds:
        if self._holds is None:
            raise OrderRefused(
                503, "no_ledger", "this marketplace has no ledger node to hold payments"
            )
        return self._holds

    @staticmethod
    def _terms(order: ProductOrder) -> HoldTerms:
        return HoldTerms(order.customer, order.seller, order.price, order.window.end_ms)

    def _orchestrator(self, caller: Principal, offer: Order, named: str | None) -> str:
        """The asset's orchestrator (its ``orchestrator`` attribute, else its provider), which
        an order naming one must name; it is the provider or one of the operators."""
        asset = self._market.asset(caller, offer.asset_id or "")
        chosen = str(dict(asset.attributes).get(ORCHESTRATOR) or asset.owner)
        if named is not None and named != chosen:
            raise OrderRefused(422, "wrong_orchestrator", f"the asset's orchestrator is {chosen}")
        if chosen != asset.owner and not self._operator(chosen):
            why = "the orchestrator is the asset's provider or one of the operators"
            raise OrderRefused(422, "not_orchestrator", why)
        return chosen

    def _operator(self, participant_id: str) -> bool:
        try:
            return Role.OPERATOR in self._registry.get(participant_id).roles
        except ParticipantNotFound:
            return False

    @staticmethod
    def _check_hold(holds: ArbiterHolds, hold_id: bytes, terms: HoldTerms) -> HoldRecord:
        try:
            return holds.check_open(hold_id, terms)
        except HoldRefused as error:
            raise OrderRefused(422, error.code, str(error)) from None
        except HoldNotOpen as error:
            raise OrderRefused(409, error.code, str(error)) from None

    @staticmethod
    def _replayed(known: ProductOrder, placement: Placement) -> ProductOrder:
        if (known.request_id, known.offer_id) != (placement.request_id, placement.offer_id):
            raise OrderRefused(409, "hold_used", "this hold pays another order already")
        return known

    # -- confirming ------------------------------------------------------------------

    def progress(self, caller: Principal, order_id: str, hold_id: bytes | None) -> ProductOrder:
        """TMF622's ``inProgress``: the other side's confirmation of an ``acknowledged``
        order (the customer's with its hold), else the orchestrator's access configured."""
        with self._lock:  # a payment is a confirmation's, refused once confirmed
            if hold_id is not None or self._found(order_id).state is OrderState.ACKNOWLEDGED:
                return self._confirm(caller, order_id, hold_id)
        return self.access_configured(caller, order_id)

    def _confirm(self, caller: Principal, order_id: str, hold_id: bytes | None) -> ProductOrder:
        before, by, now = self._found(order_id), who(caller), self._now()
        hold = "" if hold_id is None else hold_id.hex()
        before.check_confirm(by, now, hold)
        if hold_id is not None:
            known = self._store.by_hold(hold)
            if known is not None and known.id != before.id:
                raise OrderRefused(409, "hold_used", "this hold pays another order already")
            self._check_hold(self._ledger(), hold_id, self._terms(before))
        own, counter = before.offer_id, before.request_id
        if by == before.customer:
            own, counter = counter, own
        contract = self._market.confirm_match(
            caller, own, counter, idempotency_key=f"telco-{before.id}"
        )
        self._market.hold_payment(contract.match.id, before.window.end_ms)
        after = before.confirm(by, now, contract.match.id, hold)
        self._store.save(after)
        self._record(after)
        self._announce(STATE_CHANGED, after)
        return after

    # -- steps -----------------------------------------------------------------------

    def cancel(self, caller: Principal, order_id: str, *, in_flight: bool = False) -> ProductOrder:
        """The placer withdraws its unconfirmed order, or (``in_flight``) the customer cancels
        a confirmed one before its window: a customer's hold is refunded."""
        return self._apply(
            order_id, lambda order: order.cancel(who(caller), self._now(), in_flight=in_flight)
        )

    def reject(self, caller: Principal, order_id: str) -> ProductOrder:
        """The other side declines an unconfirmed order: a customer's hold is refunded."""
        return self._apply(order_id, lambda order: order.reject(who(caller), self._now()))

    def access_configured(self, caller: Principal, order_id: str) -> ProductOrder:
        return self._apply(
            order_id, lambda order: order.access_configured(who(caller), self._now())
        )

    def asset_failed(self, caller: Principal, order_id: str) -> ProductOrder:
        return self._apply(order_id, lambda order: order.asset_failed(who(caller), self._now()))

    def record_all(self) -> None:
        """Every order's steps on the orders channel (after a restart: what a crash kept
        from it goes now; what is there adds nothing)."""
        for order in self._store.all():
            self._record(order)

    def sweep(self) -> int:
        """The steps time made (delivery started unreported, a slice served, the rest before
        the window's end: paid; ended: completed), and the payments kept but not sent yet
        (the node was down), sent; how many orders moved."""
        moved = 0
        for order in self._store.all():
            if order.unsent:
                with self._lock:
                    current = self._found(order.id)
                    if current.unsent:
                        self._payments.send(current)
                        moved += 1
            if order.due(self._now(), self._grace_ms) is not None:
                self._apply(order.id, self._due)
                moved += 1
        return moved

    def _now(self) -> int:
        return self._clock.now_ms()

    def _due(self, order: ProductOrder) -> ProductOrder:
        return order.due(self._now(), self._grace_ms) or order

    def _apply(self, order_id: str, step: Callable[[ProductOrder], ProductOrder]) -> ProductOrder:
        with self._lock:
            before = self._found(order_id)
            after = step(before)
            if after is before:
                return before
            self._store.save(after)  # the step stands even if its settlement cannot go yet
            self._record(after)
            try:
                if after.unsent:
                    after = self._payments.send(after)
            finally:
                self._announce(STATE_CHANGED, after)  # the state changed, sent or not
        return after

    # -- reading ---------------------------------------------------------------------

    def _found(self, order_id: str) -> ProductOrder:
        order = self._store.get(order_id)
        if order is None:
            raise OrderRefused(404, "order_not_found", f"no product order {order_id}")
        return order

    def order(self, caller: Principal, order_id: str) -> ProductOrder:
        """An order, for its parties, its orchestrator and auditors alone."""
        order = self._found(order_id)
        if not self._may_read(caller, order):
            raise OrderRefused(404, "order_not_found", f"no product order {order_id}")
        return order

    def orders(self, caller: Principal, party: str | None = None) -> list[ProductOrder]:
        """The caller's orders; an auditor's, every order (of ``party`` when given)."""
        found = [order for order in self._store.all() if self._may_read(caller, order)]
        if party is not None:
            found = [o for o in found if party in (o.customer, o.seller, o.orchestrator)]
        return sorted(found, key=lambda order: order.steps[0].at_ms)

    def all_orders(self) -> list[ProductOrder]:
        """Every order, for the public states of the assets they use (reserved, busy)."""
        return self._store.all()

    def hold(self, caller: Principal, order_id: str) -> HoldRecord | None:
        """The order's hold as the ledger has it now: what an auditor checks the trail by."""
        self.order(caller, order_id)
        return self._ledger().status(bytes.fromhex(self._found(order_id).hold_id))

    @staticmethod
    def _may_read(caller: Principal, order: ProductOrder) -> bool:
        if Scope.AUDIT_READ in caller.scopes:
            return True
        return caller.participant_id in (order.customer, order.seller, order.orchestrator)
