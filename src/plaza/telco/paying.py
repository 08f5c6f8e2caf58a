"""What an order's steps pay from its hold, composed, kept, sent, and told to its contract.

A step that pays (:attr:`~plaza.telco.orders.ProductOrder.payments`) is a part
payment of the hold (delivery started, a slice of the window served) or the
settlement closing it (the rest, a failure's share, a refund). Each one's
message is composed by the marketplace, the hold's arbiter, with the order,
the step and the amount in its data (tag ``plaza-telco``), and its bytes kept
on the order before they are sent, so a node that is down delays them and the
next sweep sends the very same message. They go in the order's order, and a
settlement never closes the hold before the part payments it counted: one sent
in the same round as the settlement is approved by it (so the ledger applies it
first), and one sent in an earlier round must be on the ledger (the hold shows
it paid) before the settlement goes, else the settlement waits for the next
sweep. (Approving an older one would not do: a message approving one confirmed
many milestones ago is a lazy tip, which no milestone confirms.)

The closing settlement is recorded as the contract's payment (the asset
provider's total from the hold, its part payments with it), or, when the hold
paid it nothing, as the contract's cancellation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from plaza.market.marketplace import Marketplace
from plaza.market.payments.holds import ArbiterHolds
from plaza.market.settlement import PreparedPayment, SettlementError
from plaza.telco.orders import ProductOrder
from plaza.telco.store import OrderStore

__all__ = ["TAG", "OrderPayments"]

#: The tag of the marketplace's part payments and settlements of telco holds.
TAG = b"plaza-telco"

log = logging.getLogger(__name__)


class OrderPayments:
    """Sends what an order's steps pay; ``holds`` gives the arbiter's ledger (or refuses)."""

    def __init__(
        self, market: Marketplace, holds: Callable[[], ArbiterHolds], store: OrderStore
    ) -> None:
        self._market = market
        self._holds = holds
        self._store = store

    def send(self, order: ProductOrder) -> ProductOrder:
        """Every paying step not sent yet, in order; a failure to send leaves it (and those
        after it) kept and unsent, for the next sweep, as does a settlement whose earlier
        part payments are not on the ledger yet."""
        fresh: list[int] = []  # the payments this round sent
        for index in order.payments:
            step = order.steps[index]
            if step.sent:
                continue
            if not step.part and not self._counted(order, index, fresh):
                break
            after = bytes.fromhex(order.steps[fresh[-1]].message_id) if fresh else None
            order = self._send(order, index, after)
            fresh.append(index)
        return order

    def _counted(self, order: ProductOrder, index: int, fresh: list[int]) -> bool:
        """Whether the part payments before a settlement are paid: on the ledger, or sent in
        this round (which the settlement approves)."""
        earlier = [i for i in order.payments if i < index]
        owed = sum(order.steps[i].to_payee or 0 for i in earlier if i not in fresh)
        if owed == 0:
            return True
        hold = self._holds().status(bytes.fromhex(order.hold_id))
        return hold is not None and hold.to_payee >= owed

    def _send(self, order: ProductOrder, index: int, after: bytes | None) -> ProductOrder:
        holds = self._holds()
        step = order.steps[index]
        assert step.to_payee is not None  # only a paying step is sent
        if not step.settlement:
            reason = {"order": order.id, "event": step.event, "toPayee": step.to_payee}
            data = json.dumps(reason, sort_keys=True, separators=(",", ":")).encode()
            compose = holds.compose_part_payment if step.part else holds.compose_settlement
            message = compose(
                bytes.fromhex(order.hold_id), step.to_payee, reason=data, tag=TAG, after=after
            )
            order = order.settled_by(message.id.hex(), message.raw.hex(), index)
            self._store.save(order)
            step = order.steps[index]
        holds.submit(bytes.fromhex(step.settlement))
        if not step.part:
            self._on_contract(order)
        sent = order.settlement_sent(index)
        self._store.save(sent)
        return sent

    def _on_contract(self, order: ProductOrder) -> None:
        """The hold's closing as the contract's payment (what the asset provider got from
        the hold in all; nothing: its cancellation), so the market's settlement of the
        contract, and its twin, say what the order became. A contract that cannot take
        it is logged: the hold is settled all the same."""
        closing = order.closing
        assert closing is not None  # only a closing step is told to the contract
        if not order.contract_id:
            return  # refunded before confirmation: no contract was made
        payment = None
        if order.paid > 0:
            raw = bytes.fromhex(closing.settlement)
            payment = PreparedPayment(bytes.fromhex(closing.message_id), raw, order.paid)
        try:
            self._market.settle_held(order.contract_id, payment)
        except SettlementError as error:
            log.warning(
                "contract %s did not take order %s's settlement: %s",
                order.contract_id,
                order.id,
                error,
            )
