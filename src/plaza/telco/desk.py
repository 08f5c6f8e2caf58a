"""The telco order desk: product orders placed from matches, paid by holds the market settles.

A service provider places an order from one of its request's suggestions, with
the hold that pays the offer's price already confirmed on the ledger (payer the
provider of the request, payee the asset's owner, the marketplace as arbiter,
open at least until the window ends). The desk checks the hold, makes the match
on the market's book (so the offer and the request are filled, the match is on
their twins and a contract is signed, whose settlement waits for the window to
end rather than the market's provision timeout) and keeps the order.

Every later step is the domain's (:mod:`plaza.telco.orders`). A step that closes
the hold is saved first; then the marketplace, as arbiter, composes the hold's
settlement (the reason in its data), keeps its bytes on the order, sends them,
and records them on the contract's settlement as its payment (a refund: as its
cancellation), which the market confirms on the ledger and fulfils like any
payment. Each step is announced to the order's parties and orchestrator
(``ProductOrderCreateEvent``, ``ProductOrderStateChangeEvent``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from plaza.clock import Clock
from plaza.ledger.holds import HoldRecord
from plaza.market.auth import Principal, Role, Scope
from plaza.market.auth.service import ParticipantRegistry
from plaza.market.marketplace import Marketplace
from plaza.market.model import Order, Side
from plaza.market.payments.holds import ArbiterHolds, HoldNotOpen, HoldRefused, HoldTerms
from plaza.market.settlement import PreparedPayment, SettlementError
from plaza.telco.assets import asset_type_of
from plaza.telco.orders import OrderRefused, ProductOrder
from plaza.telco.store import OrderStore
from plaza.telco.terms import Window

__all__ = ["CREATED", "GRACE_MS", "STATE_CHANGED", "TAG", "Announce", "OrderDesk", "Placement"]

CREATED = "ProductOrderCreateEvent"
STATE_CHANGED = "ProductOrderStateChangeEvent"
#: The tag of the marketplace's settlements of telco holds.
TAG = b"plaza-telco"
#: How long after delivery starts the desk waits for the orchestrator's report before time
#: releases the hold: a failure reported within it is still paid pro rata.
GRACE_MS = 5_000
_STRIPES = 64

log = logging.getLogger(__name__)

#: Publishes one event about an order to the participants it names.
Announce = Callable[[str, ProductOrder], None]


@dataclass(frozen=True, slots=True)
class Placement:
    """A service provider's order: its request, the offer chosen, the hold paying it, and
    the operator who orchestrates access."""

    request_id: str
    offer_id: str
    hold_id: bytes
    orchestrator: str


def _who(caller: Principal) -> str:
    assert caller.participant_id is not None  # principals from requests are participants
    return caller.participant_id


def _overlap(a: Order, b: Order) -> Window:
    window = Window(max(a.valid_from_ms, b.valid_from_ms), min(a.valid_until_ms, b.valid_until_ms))
    if window.start_ms >= window.end_ms:
        raise OrderRefused(422, "no_overlap", "the offer's and the request's windows do not meet")
    return window


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
        grace_ms: int = GRACE_MS,
    ) -> None:
        self._market = marketplace
        self._grace_ms = grace_ms
        self._registry = registry
        self._holds = holds
        self._clock = clock
        self._store = store
        self._announce = announce
        self._lock = threading.RLock()  # an order's steps, one at a time
        # Placing is serialised per hold only (a stripe of locks by its id): one hold pays
        # one order, while orders paid by different holds are placed side by side.
        self._placing = tuple(threading.Lock() for _ in range(_STRIPES))

    @property
    def arbiter(self) -> str | None:
        """The address a hold names as arbiter (None: no ledger, no orders)."""
        return None if self._holds is None else str(self._holds.address)

    # -- placing ---------------------------------------------------------------------

    def place(self, caller: Principal, placement: Placement) -> tuple[ProductOrder, bool]:
        """The order (and whether it is new: False for a hold already placed, replayed)."""
        holds = self._ledger()
        request, offer = self._orders(caller, placement)
        self._check_orchestrator(placement.orchestrator)
        window = _overlap(offer, request)
        stripe = self._placing[int.from_bytes(placement.hold_id[:4], "big") % _STRIPES]
        with stripe:
            known = self._store.by_hold(placement.hold_id.hex())
            if known is not None:
                return self._replayed(known, placement), False
            terms = HoldTerms(request.owner, offer.owner, offer.unit_price, window.end_ms)
            self._check_hold(holds, placement.hold_id, terms)
            contract = self._market.confirm_match(
                caller, request.id, offer.id, idempotency_key=f"telco-{placement.hold_id.hex()}"
            )
            self._market.hold_payment(contract.match.id, window.end_ms)
            order = ProductOrder(
                contract.match.id,
                offer.id,
                request.id,
                contract.match.id,
                offer.asset_id or "",
                request.owner,
                offer.owner,
                placement.orchestrator,
                window,
                offer.unit_price,
                placement.hold_id.hex(),
            ).placed(self._clock.now_ms())
            order = self._store.add(order)
        self._announce(CREATED, order)
        return order, True

    def _ledger(self) -> ArbiterHolds:
        if self._holds is None:
            raise OrderRefused(
                503, "no_ledger", "this marketplace has no ledger node to hold payments"
            )
        return self._holds

    def _orders(self, caller: Principal, placement: Placement) -> tuple[Order, Order]:
        request = self._market.order(caller, placement.request_id)
        offer = self._market.order(caller, placement.offer_id)
        if request.side is not Side.REQUEST or offer.side is not Side.OFFER:
            raise OrderRefused(400, "wrong_side", "an order names a request and an offer")
        if asset_type_of(request.kind) is None or request.kind != offer.kind:
            raise OrderRefused(422, "wrong_kind", "the request and offer are not of one telco type")
        if request.owner != _who(caller):
            raise OrderRefused(403, "not_customer", "only the request's owner orders from it")
        return request, offer

    def _check_orchestrator(self, participant_id: str) -> None:
        participant = self._registry.get(participant_id)
        if Role.OPERATOR not in participant.roles:
            raise OrderRefused(422, "not_orchestrator", "the orchestrator is one of the operators")

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

    # -- steps -----------------------------------------------------------------------

    def cancel(self, caller: Principal, order_id: str) -> ProductOrder:
        """The service provider cancels before the window: the hold is refunded."""
        return self._apply(order_id, lambda order: order.cancel(_who(caller), self._now()))

    def access_configured(self, caller: Principal, order_id: str) -> ProductOrder:
        return self._apply(
            order_id, lambda order: order.access_configured(_who(caller), self._now())
        )

    def asset_failed(self, caller: Principal, order_id: str) -> ProductOrder:
        return self._apply(order_id, lambda order: order.asset_failed(_who(caller), self._now()))

    def sweep(self) -> int:
        """The steps time made (windows started unreported: paid; ended: completed), and the
        settlements kept but not sent yet (the node was down), sent; how many orders moved."""
        moved = 0
        for order in self._store.all():
            if order.unsent:
                with self._lock:
                    current = self._found(order.id)
                    if current.unsent:
                        self._settle(current)
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
            try:
                if after.paid_out and not before.paid_out:
                    after = self._settle(after)
            finally:
                self._announce(STATE_CHANGED, after)  # the state changed, sent or not
        return after

    def _settle(self, order: ProductOrder) -> ProductOrder:
        """Compose the closing step's settlement and keep it, then send it: a failure to
        send leaves it kept and unsent, for the next sweep to send the very same bytes."""
        closing = order.closing
        assert closing is not None  # only a closing step is settled
        assert closing.to_payee is not None
        holds = self._ledger()
        if not closing.settlement:
            reason = {"order": order.id, "event": closing.event, "toPayee": closing.to_payee}
            data = json.dumps(reason, sort_keys=True, separators=(",", ":")).encode()
            message = holds.compose_settlement(
                bytes.fromhex(order.hold_id), closing.to_payee, reason=data, tag=TAG
            )
            order = order.settled_by(message.id.hex(), message.raw.hex())
            self._store.save(order)
            closing = order.closing
            assert closing is not None
        holds.submit(bytes.fromhex(closing.settlement))
        self._on_contract(order)
        sent = order.settlement_sent()
        self._store.save(sent)
        return sent

    def _on_contract(self, order: ProductOrder) -> None:
        """The hold's settlement as the contract's payment (a refund: its cancellation), so
        the market's settlement of the contract, and its twin, say what the order became.
        A contract that cannot take it is logged: the hold is settled all the same."""
        closing = order.closing
        assert closing is not None  # only a closing step is settled
        assert closing.to_payee is not None
        payment = None
        if closing.to_payee > 0:
            raw = bytes.fromhex(closing.settlement)
            payment = PreparedPayment(bytes.fromhex(closing.message_id), raw, closing.to_payee)
        try:
            self._market.settle_held(order.contract_id, payment)
        except SettlementError as error:
            log.warning(
                "contract %s did not take order %s's settlement: %s",
                order.contract_id,
                order.id,
                error,
            )

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
