"""A product order's life (TMF622 states) and what its held payment pays at each end.

An order is placed by the service provider from a match, with the window's price
already held on the ledger for the asset provider, the marketplace as arbiter
(``acknowledged``). Then exactly one of:

* the orchestrator reports access configured, or delivery starts without a
  report (the window's start, or the order's placing in a window already
  running, and a short grace for the orchestrator's report): the hold is
  settled in full to the asset provider (``inProgress``; ``completed`` once the
  window has ended);
* the service provider cancels before the window starts: the hold is settled
  with nothing to the asset provider, a refund (``cancelled``);
* the orchestrator reports the asset failed while the hold is still open
  (before the window: a full refund; in it, before the release): the asset
  provider gets the share of the window before the failure, the rest goes back
  (``failed``).

A hold closes once, so a failure reported after the release is recorded
(``failed``) and moves nothing: the unserved share is not the hold's to refund.
An orchestrator's report of access configured after a timed release is recorded
too, paying nothing more.

Who may do what is checked here, so the API and any other caller share it; a
refusal is :class:`OrderRefused` and changes nothing. Every accepted step is a
:class:`Step` on the order, the trail the orders channel and auditors read.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace

from plaza.telco.terms import Window

__all__ = ["OrderRefused", "OrderState", "ProductOrder", "Step", "pro_rata"]


class OrderState(enum.StrEnum):
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


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
    the asset provider when the step closed it (None: the hold stays as it was)."""

    event: str
    at_ms: int
    by: str
    state: OrderState
    to_payee: int | None = None
    message_id: str = ""  # the ledger settlement closing the hold, once composed
    settlement: str = ""  # its exact signed bytes (hex), kept before they are sent
    sent: bool = False  # whether a node has taken them


def pro_rata(price: int, window: Window, at_ms: int) -> int:
    """The asset provider's share of ``price`` for the window up to ``at_ms`` (floored)."""
    length = window.end_ms - window.start_ms
    served = min(max(at_ms - window.start_ms, 0), length)
    return price * served // length


@dataclass(frozen=True, slots=True)
class ProductOrder:
    """An order for one asset's window, between its two parties, paid by one hold."""

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
    def paid_out(self) -> bool:
        """Whether a step has closed the hold."""
        return self.closing is not None

    @property
    def closing(self) -> Step | None:
        """The step that closed the hold, if one did."""
        return next((step for step in self.steps if step.to_payee is not None), None)

    @property
    def unsent(self) -> bool:
        """Whether a step closed the hold and its settlement has not reached a node yet."""
        closing = self.closing
        return closing is not None and not closing.sent

    def settled_by(self, message_id: str, settlement: str = "") -> ProductOrder:
        """The order with the closing step naming its settlement (composed, not sent)."""
        return self._closing(
            lambda step: replace(step, message_id=message_id, settlement=settlement)
        )

    def settlement_sent(self) -> ProductOrder:
        """The order once its settlement reached a node."""
        return self._closing(lambda step: replace(step, sent=True))

    def _closing(self, change: Callable[[Step], Step]) -> ProductOrder:
        steps = tuple(change(step) if step.to_payee is not None else step for step in self.steps)
        return replace(self, steps=steps)

    def placed(self, at_ms: int) -> ProductOrder:
        return self._step("placed", at_ms, self.customer, OrderState.ACKNOWLEDGED)

    def cancel(self, by: str, at_ms: int) -> ProductOrder:
        """The service provider's cancellation, before the window starts: a full refund."""
        if by != self.customer:
            raise OrderRefused(403, "not_customer", "only the service provider may cancel")
        self._require(OrderState.ACKNOWLEDGED, "cancelled")
        if at_ms >= self.window.start_ms:
            raise OrderRefused(409, "window_started", "the window has started: too late to cancel")
        return self._step("cancelled", at_ms, by, OrderState.CANCELLED, 0)

    @property
    def configured(self) -> bool:
        """Whether the orchestrator has reported access configured."""
        return any(step.event == "accessConfigured" for step in self.steps)

    def access_configured(self, by: str, at_ms: int) -> ProductOrder:
        """The orchestrator's report: the asset is usable, the asset provider is paid (after
        a timed release, the report is recorded and pays nothing more)."""
        self._orchestrator(by)
        if at_ms >= self.window.end_ms:
            raise OrderRefused(409, "window_ended", "the window has ended")
        if self.state is OrderState.IN_PROGRESS and not self.configured:
            return self._step("accessConfigured", at_ms, by, OrderState.IN_PROGRESS)
        self._require(OrderState.ACKNOWLEDGED, "configured")
        return self._step("accessConfigured", at_ms, by, OrderState.IN_PROGRESS, self.price)

    def asset_failed(self, by: str, at_ms: int) -> ProductOrder:
        """The orchestrator's report of a failure before the window ends: while the hold is
        open it pays the share served (none before the window); after the release it is
        recorded and moves nothing, since a hold closes once."""
        self._orchestrator(by)
        if at_ms >= self.window.end_ms:
            raise OrderRefused(409, "window_ended", "a failure is reported before the window ends")
        if self.state is OrderState.IN_PROGRESS:
            return self._step("assetFailed", at_ms, by, OrderState.FAILED)
        self._require(OrderState.ACKNOWLEDGED, "failed")
        share = pro_rata(self.price, self.window, at_ms)
        return self._step("assetFailed", at_ms, by, OrderState.FAILED, share)

    def release_at(self, grace_ms: int = 0) -> int:
        """When time releases an unreported hold: delivery's start (the window's, or the
        order's placing in a window already running) and ``grace_ms`` for the report."""
        placed = self.steps[0].at_ms if self.steps else self.window.start_ms
        return max(self.window.start_ms, placed) + grace_ms

    def due(self, now_ms: int, grace_ms: int = 0) -> ProductOrder | None:
        """The step time makes by itself, if any: delivery started unreported (pay in full,
        :meth:`release_at`), or an order in progress whose window ended (completed)."""
        if self.state is OrderState.ACKNOWLEDGED and now_ms >= self.release_at(grace_ms):
            return self._step("windowStarted", now_ms, "", OrderState.IN_PROGRESS, self.price)
        if self.state is OrderState.IN_PROGRESS and now_ms >= self.window.end_ms:
            return self._step("windowEnded", now_ms, "", OrderState.COMPLETED)
        return None

    def _orchestrator(self, by: str) -> None:
        if by != self.orchestrator:
            raise OrderRefused(403, "not_orchestrator", "only the order's orchestrator reports")

    def _require(self, state: OrderState, becoming: str) -> None:
        if self.state is not state:
            message = f"the order is {self.state.value}: it cannot be {becoming} now"
            raise OrderRefused(409, "wrong_state", message)

    def _step(
        self, event: str, at_ms: int, by: str, state: OrderState, to_payee: int | None = None
    ) -> ProductOrder:
        return replace(self, steps=(*self.steps, Step(event, at_ms, by, state, to_payee)))
