"""The energy seed's flows across four separate services over real HTTP, with twins audited.

Each test runs the marketplace backend, the bid manager, the user module and two
asset modules as their own HTTP services (see ``energy_stack.py``), on an
in-process node and a fake clock.
"""

from __future__ import annotations

from pathlib import Path

from energy_stack import HOUR_MS, MAX_WAIT_MS, Flow, energy_flow


def _trade(flow: Flow, *, consumer_funds: int) -> tuple[str, str]:
    """A solar panel of a funded owner and an EV of an owner with ``consumer_funds``; the
    panel offers 1500 Wh, the EV asks for 1000 Wh: one contract. Their asset ids."""
    alice = flow.owner("alice", funds=1_000_000)
    bob = flow.owner("bob", funds=consumer_funds)
    solar = flow.device(alice, "solar", "provider", energyPrice=20)
    ev = flow.device(bob, "ev", "consumer", energyPrice=20, maxEnergyPrice=30)
    flow.meter("solar", "/produce", 1_500)
    flow.meter("ev", "/consume", 200)
    flow.settle()
    return solar, ev


def test_a_contract_walks_from_offer_and_request_to_payment_confirmed(tmp_path: Path) -> None:
    with energy_flow(tmp_path) as flow:
        _trade(flow, consumer_funds=1_000_000)
        market = flow.stack.marketplace.service
        assert market.statistics()["contracts"] == 1
        for _ in range(8):
            flow.round()
        [offer] = [t for t in flow.transactions("solar") if t["contractId"]]
        [request] = [t for t in flow.transactions("ev") if t["contractId"]]
        assert offer["status"] == request["status"] == "Payment confirmed"
        assert offer["contractId"] == request["contractId"]
        assert offer["energyAmount"] == 1_000  # the EV's request, not the whole offer
        assert offer["paymentMessageId"] == request["paymentMessageId"] != ""
        flow.round()  # the last twin entries confirmed
        audit = market.audit(offer["contractId"])
        assert audit.ok, audit.to_json()
        states = [entry.state["status"] for entry in audit.consumer.entries]
        assert states[0] == "Initial request"
        assert states[-1] == "Payment confirmed"
        assert all(entry.confirmed for entry in audit.contract.entries)
        assert flow.stack.marketplace.service.statistics()["claims"] == 0


def test_an_unpaid_contract_gets_three_reminders_then_one_claim(tmp_path: Path) -> None:
    with energy_flow(tmp_path) as flow:
        _trade(flow, consumer_funds=0)  # bob's wallet is empty: /fund is refused
        for _ in range(3):
            flow.round()
        [offer] = [t for t in flow.transactions("solar") if t["contractId"]]
        assert offer["status"] == "Energy provision finished"
        reminders = []
        for _ in range(6):
            flow.round(advance_ms=MAX_WAIT_MS + 1)
            [offer] = [t for t in flow.transactions("solar") if t["contractId"]]
            reminders.append((offer["reminders"], offer["status"]))
        assert reminders[:4] == [
            (1, "Payment reminder issued"),
            (2, "Payment reminder issued"),
            (3, "Payment reminder issued"),
            (3, "Claim issued"),
        ]
        assert reminders[4:] == [(3, "Claim issued")] * 2  # claimed once, then left alone
        stats = flow.stack.marketplace.service.statistics()
        assert stats["reminders"] == 3
        assert stats["claims"] == 1
        [request] = [t for t in flow.transactions("ev") if t["contractId"]]
        assert request["status"] == "Claim issued"
        flow.round()
        assert flow.stack.marketplace.service.audit(offer["contractId"]).ok


def test_an_abandoned_offer_is_cancelled_and_leaves_the_book(tmp_path: Path) -> None:
    with energy_flow(tmp_path) as flow:
        alice = flow.owner("alice", funds=0)
        flow.device(alice, "solar", "provider", offerValidityMs=HOUR_MS)
        flow.meter("solar", "/produce", 1_500)
        flow.settle()
        bids = flow.stack.bidmanager.service.statistics()
        flow.round(advance_ms=HOUR_MS + 1)
        statuses = flow.statuses("solar")
        assert "Cancelled" in statuses
        after = flow.stack.bidmanager.service.statistics()
        assert flow.stack.marketplace.service.statistics()["cancellations"] >= 1
        assert after != bids
