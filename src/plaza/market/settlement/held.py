"""A contract paid by a held payment the marketplace arbitrates, as settlement steps.

The generic lifecycle waits for delivery, then for a transfer from the
consumer. A contract paid for delivery through a hold (a telco order: the price
held for the provider with the marketplace as arbiter) goes the same phases with
two differences:

* :func:`hold_payment`: once the hold is checked, the contract waits for
  delivery until ``until_ms`` (the end of what it pays for), not the market's
  provision timeout, so it is not cancelled before its window even starts;
* :func:`settle_held`: the arbiter's settlement of the hold *is* the payment:
  the contract is delivered and its payment recorded (what the provider got,
  the whole price or a share), and confirmed like any payment once the ledger
  applies it, then fulfilled. Settling with nothing to the provider (a refund) is
  a cancellation before delivery, as a party's.

Both are idempotent, like every lifecycle step.
"""

from __future__ import annotations

from dataclasses import replace

from plaza.market.settlement import lifecycle
from plaza.market.settlement.errors import InvalidTransition
from plaza.market.settlement.model import Phase, PreparedPayment, Settlement, SettlementPolicy

__all__ = ["hold_payment", "settle_held"]


def hold_payment(settlement: Settlement, until_ms: int, now_ms: int) -> Settlement:
    """The payment is held: the contract waits for delivery until ``until_ms`` (never less
    than it already would)."""
    if settlement.phase is not Phase.CONTRACT_CREATED:
        raise InvalidTransition(settlement.id, settlement.phase, "hold its payment")
    if settlement.deadline_ms >= until_ms:
        return settlement
    return replace(settlement, deadline_ms=until_ms, updated_at_ms=now_ms)


def settle_held(
    settlement: Settlement,
    payment: PreparedPayment | None,
    now_ms: int,
    policy: SettlementPolicy,
) -> Settlement:
    """The arbiter closed the hold: ``payment`` (its settlement, ``amount`` what the provider
    got) delivered and paid the contract; None (a refund) cancelled it."""
    if payment is None:
        return lifecycle.cancel(settlement, now_ms)
    if settlement.phase is Phase.CONTRACT_CREATED:
        settlement = lifecycle.deliver(settlement, now_ms, policy)
    return lifecycle.record_payment(settlement, payment, now_ms)
