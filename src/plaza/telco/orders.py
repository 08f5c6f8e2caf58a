"""A product order's life (TMF622 states) and what its held payment pays at each end.

An order is placed from a match by either side and confirmed by the other:

* the service provider (the customer) places it from its request, naming one
  of the request's matching offers and the hold paying the offer's price (on
  the ledger, for the asset provider, the marketplace as arbiter): the hold is
  its confirmation; the asset provider confirms it;
* the asset provider (the seller) places it from its offer, naming a matching
  request: it carries no payment, and the service provider confirms it with
  its hold.

Placed, the order is ``acknowledged``; confirmed by the other side (only it,
only once, only while ``acknowledged`` and before the window ends) it is
``inProgress``: agreed, its payment held, waiting for delivery. The other side
may decline instead (``rejected``) and the side that placed it may withdraw it
(``cancelled``); one left unconfirmed when its window ends lapses
(``rejected``); a customer's hold is refunded in each case. Then, once
confirmed, exactly one of:

* the orchestrator reports access configured (within the window), or delivery
  starts without a report (the window's start, or the confirmation in a window
  already running, and a short grace for the orchestrator's report): the asset
  provider is paid in arrears from then on, part of the hold for what was
  served so far, again each time a slice of the window has passed
  (:mod:`plaza.telco.slices`), and the rest shortly before the window ends,
  which closes the hold (``completed`` once the window has ended);
* the service provider cancels before the window starts (TMF622's
  ``cancelProductOrder`` of an order in flight): the hold is settled with
  nothing to the asset provider, a refund (``cancelled``);
* the orchestrator reports the asset failed before the rest is paid (before
  the window: a full refund): the asset provider gets the share of the window
  before the failure, less what its part payments paid, the rest goes back
  (``failed``).

A failure reported once the rest is paid (in the window's last seconds) is
recorded and moves nothing: the hold is closed. An orchestrator's report of
access configured after a timed start is recorded too, paying nothing more.

Who may do what is checked here, so the API and any other caller share it; a
refusal is :class:`OrderRefused` and changes nothing. Every accepted step is a
:class:`Step` on the order, the trail the orders channel and auditors read.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from plaza.telco.slices import pro_rata, rest_due_at, slice_of
from plaza.telco.terms import Window

__all__ = ["FINAL", "OrderRefused", "OrderState", "ProductOrder", "Step", "pro_rata"]

#: The steps that start delivery (and the part payments with it).
_STARTS = frozenset({"accessConfigured", "windowStarted"})


class OrderState(enum.StrEnum):
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"
    REJECTED = "rejected"


#: The states an order ends in.
FINAL = frozenset(
    {OrderState.COMPLETED, OrderState.CANCELLED, OrderState.FAILED, OrderState.REJECTED}
)


class OrderRefused(Exception):
    """A step the order's state or the caller's part does not allow; ``status`` is the HTTP
    answer it deserves (403: not the caller's to do; 409: not in this state or time)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Step:
    """One accepted step: what, when, by whom, the state it made, and what the hold paid
    the asset provider at the step (None: the hold stays as it was): a part payment
    (``part``, the hold staying open with the rest) or the settlement closing it."""

    event: str
    at_ms: int
    by: str
    state: OrderState
    to_payee: int | None = None
    message_id: str = ""  # the ledger message paying it, once composed
    settlement: str = ""  # its exact signed bytes (hex), kept before they are sent
    sent: bool = False  # whether a node has taken them
    part: bool = False  # a part payment of the hold, not its closing


@dataclass(frozen=True, slots=True)
class ProductOrder:
    """An order for one asset's window, between its two parties, paid by one hold.

    ``hold_id`` is empty until the customer's hold is known (an order the seller
    placed, before the customer confirms it) and ``contract_id`` until the order
    is confirmed (the market's match of the offer and the request is made then).
    """

    id: str
    offer_id: str
    request_id: str
    contract_id: str
    asset_id: str
    customer: str  # the service provider, who pays
    seller: str  # the asset provider, who is paid
    orchestrator: str  # who reports access configured or the asset failed
    window: Window
    price: int
    hold_id: str
    steps: tuple[Step, ...] = ()

    @property
    def state(self) -> OrderState:
        return self.steps[-1].state if self.steps else OrderState.ACKNOWLEDGED

    @property
    def placed_by(self) -> str:
        """The side that placed the order (the other one confirms it)."""
        return self.steps[0].by if self.steps else self.customer

    @property
    def awaiting(self) -> str:
        """Whose confirmation the order waits for, if it waits: the side that did not place it."""
        if self.state is not OrderState.ACKNOWLEDGED:
            return ""
        return self.seller if self.placed_by == self.customer else self.customer

    @property
    def confirmed_at(self) -> int | None:
        return next((step.at_ms for step in self.steps if step.event == "confirmed"), None)

    @property
    def started(self) -> bool:
        """Whether delivery has started: access configured, or the window started unreported."""
        return any(step.event in _STARTS for step in self.steps)

    @property
    def delivering(self) -> bool:
        """Whether delivery has started and runs."""
        return self.state is OrderState.IN_PROGRESS and self.started

    @property
    def paid_out(self) -> bool:
        """Whether a step has closed the hold."""
        return self.closing is not None

    @property
    def closing(self) -> Step | None:
        """The step that closed the hold, if one did."""
        return next((s for s in self.steps if s.to_payee is not None and not s.part), None)

    @property
    def paid(self) -> int:
        """What the hold paid the asset provider so far: part payments and closing."""
        return sum(step.to_payee or 0 for step in self.steps)

    @property
    def payments(self) -> list[int]:
        """The indexes of the steps that pay from the hold, in order."""
        return [i for i, step in enumerate(self.steps) if step.to_payee is not None]

    @property
    def unsent(self) -> bool:
        """Whether a step paid from the hold and its message has not reached a node yet."""
        return any(not self.steps[i].sent for i in self.payments)

    def settled_by(
        self, message_id: str, settlement: str = "", index: int | None = None
    ) -> ProductOrder:
        """The order with a paying step (the closing one unless ``index`` is given) naming
        its message (composed, not sent)."""
        change = replace(self._paying(index), message_id=message_id, settlement=settlement)
        return self._with(index, change)

    def settlement_sent(self, index: int | None = None) -> ProductOrder:
        """The order once a paying step's message (the closing one's by default) reached
        a node."""
        return self._with(index, replace(self._paying(index), sent=True))

    def _paying(self, index: int | None) -> Step:
        if index is None:
            index = self._closing_index()
        return self.steps[index]

    def _closing_index(self) -> int:
        closing = self.closing
        assert closing is not None  # only a closing step is settled
        return self.steps.index(closing)

    def _with(self, index: int | None, step: Step) -> ProductOrder:
        at = self._closing_index() if index is None else index
        return replace(self, steps=(*self.steps[:at], step, *self.steps[at + 1 :]))

    # -- placing and confirming --------------------------------------------------------

    def placed(self, at_ms: int, by: str | None = None) -> ProductOrder:
        """The order placed by ``by`` (the customer when not given): the customer's order
        carries its hold, the seller's none."""
        placer = self.customer if by is None else by
        if placer not in (self.customer, self.seller):
            raise OrderRefused(403, "not_party", "an order is placed by its customer or seller")
        if (placer == self.customer) != bool(self.hold_id):
            why = "the customer's order carries its hold, the seller's carries none"
            raise OrderRefused(422, "wrong_payment", why)
        return self._step("placed", at_ms, placer, OrderState.ACKNOWLEDGED)

    def check_confirm(self, by: str, at_ms: int, hold_id: str = "") -> None:
        """Refuse a confirmation that is not the other side's, not once, not in time, or
        (the customer's) without the hold that pays the order; nothing changes."""
        self._other_side(by, "confirm")
        if at_ms >= self.window.end_ms:
            raise OrderRefused(409, "window_ended", "the window has ended: too late to confirm")
        if by == self.customer and not hold_id:
            raise OrderRefused(422, "no_payment", "the customer confirms with its hold")
        if by == self.seller and hold_id:
            raise OrderRefused(422, "wrong_payment", "the seller's confirmation carries no hold")

    def confirm(self, by: str, at_ms: int, contract_id: str, hold_id: str = "") -> ProductOrder:
        """The other side's confirmation: the order is agreed, its payment held, and its
        contract (the market's match) made; ``inProgress`` until delivery and after."""
        self.check_confirm(by, at_ms, hold_id)
        order = replace(self, contract_id=contract_id, hold_id=hold_id or self.hold_id)
        return order._step("confirmed", at_ms, by, OrderState.IN_PROGRESS)

    def reject(self, by: str, at_ms: int) -> ProductOrder:
        """The other side declines the order: a customer's hold is refunded."""
        self._other_side(by, "reject")
        return self._step("rejected", at_ms, by, OrderState.REJECTED, self._refund)

    def _other_side(self, by: str, doing: str) -> None:
        if by not in (self.customer, self.seller) or by == self.placed_by:
            raise OrderRefused(403, "not_other_side", f"only the other side may {doing} it")
        self._require(OrderState.ACKNOWLEDGED, f"{doing}ed")

    @property
    def _refund(self) -> int | None:
        """What closing the hold before delivery pays the seller: nothing (None: no hold)."""
        return 0 if self.hold_id else None

    # -- cancelling --------------------------------------------------------------------

    def cancel(self, by: str, at_ms: int, *, in_flight: bool = False) -> ProductOrder:
        """The order withdrawn by the side that placed it while unconfirmed, or (``in_flight``:
        TMF622's cancelProductOrder) cancelled by the customer once confirmed, before the
        window starts; a customer's hold is refunded."""
        if self.state is OrderState.IN_PROGRESS and in_flight:
            if by != self.customer:
                raise OrderRefused(403, "not_customer", "only the customer cancels it now")
            if at_ms >= self.window.start_ms or self.started or self.paid_out:
                raise OrderRefused(409, "window_started", "delivery has started: too late")
            return self._step("cancelled", at_ms, by, OrderState.CANCELLED, self._refund)
        if by != self.placed_by:
            raise OrderRefused(403, "not_placer", "only the side that placed it withdraws it")
        self._require(OrderState.ACKNOWLEDGED, "cancelled")
        return self._step("cancelled", at_ms, by, OrderState.CANCELLED, self._refund)

    # -- the orchestrator's reports ----------------------------------------------------

    @property
    def configured(self) -> bool:
        """Whether the orchestrator has reported access configured."""
        return any(step.event == "accessConfigured" for step in self.steps)

    def access_configured(self, by: str, at_ms: int) -> ProductOrder:
        """The orchestrator's report, within the window of a confirmed order: the asset is
        usable, delivery starts and the asset provider is paid what was served so far (after
        a timed start, the report is recorded and pays nothing more)."""
        self._orchestrator(by)
        self._require(OrderState.IN_PROGRESS, "configured")
        if self.configured:
            raise OrderRefused(409, "already_configured", "access is reported configured")
        if at_ms < self.window.start_ms:
            raise OrderRefused(409, "window_not_started", "access is configured in the window")
        if at_ms >= self.window.end_ms:
            raise OrderRefused(409, "window_ended", "the window has ended")
        paid = None if self.started else self._served(at_ms)
        return self._step("accessConfigured", at_ms, by, OrderState.IN_PROGRESS, paid, part=True)

    def asset_failed(self, by: str, at_ms: int) -> ProductOrder:
        """The orchestrator's report of a failure of a confirmed order before the window
        ends: while the hold is open it pays the share served (none before the window) less
        what part payments paid, the rest refunded; once the rest is paid it is recorded
        and moves nothing, since the hold is closed."""
        self._orchestrator(by)
        self._require(OrderState.IN_PROGRESS, "failed")
        if at_ms >= self.window.end_ms:
            raise OrderRefused(409, "window_ended", "a failure is reported before the window ends")
        share = None if self.paid_out else max(self._owed(at_ms), 0)
        return self._step("assetFailed", at_ms, by, OrderState.FAILED, share)

    def _owed(self, at_ms: int) -> int:
        """What the window served up to ``at_ms`` is worth, less what was paid for it."""
        return pro_rata(self.price, self.window, at_ms) - self.paid

    def _served(self, at_ms: int) -> int | None:
        """A part payment of what is owed at ``at_ms``, if anything is (None: nothing)."""
        owed = self._owed(at_ms)
        return owed if owed > 0 else None

    # -- time's steps ------------------------------------------------------------------

    def release_at(self, grace_ms: int = 0) -> int:
        """When time starts delivery unreported (and its payments): delivery's start (the
        window's, or the confirmation in a window already running) and ``grace_ms`` for the
        report."""
        confirmed = self.confirmed_at or self.window.start_ms
        return max(self.window.start_ms, confirmed) + grace_ms

    def due(self, now_ms: int, grace_ms: int = 0) -> ProductOrder | None:
        """The step time makes by itself, if any: an unconfirmed order whose window ended
        (lapsed, refunded); delivery started unreported (:meth:`release_at`; what was
        served so far paid); once it runs, a slice of the window passed since the last
        payment (what was served since paid), the rest paid before the window ends
        (:func:`~plaza.telco.slices.rest_due_at`, closing the hold), the window ended
        (completed)."""
        if self.state is OrderState.ACKNOWLEDGED and now_ms >= self.window.end_ms:
            return self._step("lapsed", now_ms, "", OrderState.REJECTED, self._refund)
        if self.state is not OrderState.IN_PROGRESS:
            return None
        if not self.started:
            return self._start_due(now_ms, grace_ms)
        if not self.paid_out:
            return self._paying_due(now_ms)
        if now_ms >= self.window.end_ms:
            return self._step("windowEnded", now_ms, "", OrderState.COMPLETED)
        return None

    def _start_due(self, now_ms: int, grace_ms: int) -> ProductOrder | None:
        """Delivery started unreported once the grace has passed: what was served paid."""
        begun = min(self.release_at(grace_ms), self.window.end_ms)  # a late grace ends too
        if now_ms < begun:
            return None
        served = self._served(now_ms)
        return self._step("windowStarted", now_ms, "", OrderState.IN_PROGRESS, served, part=True)

    def _paying_due(self, now_ms: int) -> ProductOrder | None:
        """While delivery runs and the hold is open: the rest, or a slice's part payment."""
        if now_ms >= rest_due_at(self.window):
            rest = self.price - self.paid
            return self._step("restPaid", now_ms, "", OrderState.IN_PROGRESS, rest)
        last = max(s.at_ms for s in self.steps if s.part or s.event in _STARTS)
        served = self._served(now_ms)
        if served is None or slice_of(self.window, now_ms) <= slice_of(self.window, last):
            return None
        return self._step("slicePaid", now_ms, "", OrderState.IN_PROGRESS, served, part=True)

    def _orchestrator(self, by: str) -> None:
        if by != self.orchestrator:
            raise OrderRefused(403, "not_orchestrator", "only the order's orchestrator reports")

    def _require(self, state: OrderState, becoming: str) -> None:
        if self.state is not state:
            message = f"the order is {self.state.value}: it cannot be {becoming} now"
            raise OrderRefused(409, "wrong_state", message)

    def _step(
        self,
        event: str,
        at_ms: int,
        by: str,
        state: OrderState,
        to_payee: int | None = None,
        *,
        part: bool = False,
    ) -> ProductOrder:
        """The order with one more step; ``part``: its payment leaves the hold open."""
        step = Step(event, at_ms, by, state, to_payee, part=part and to_payee is not None)
        return replace(self, steps=(*self.steps, step))
