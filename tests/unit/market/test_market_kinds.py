"""Kinds a vertical registers: rules before the book, its price, its policy, its hooks.

The kind under test is the worked parking vertical's (``tests/verticals/parking.py``):
the market core knows nothing of parking, only :class:`~plaza.market.kinds.Kinds`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import pytest
from market_support import offer, request
from parking import ParkingKind

from plaza.crypto import SigningKey
from plaza.market.assets.memory import MemoryAssetDirectory
from plaza.market.assets.model import AssetChange
from plaza.market.book.memory import MemoryBookStore
from plaza.market.book.service import BidManager
from plaza.market.contracts import ContractDesk, SignedContract
from plaza.market.errors import DuplicateKind, InvalidAsset, InvalidOrder, UnknownPolicy
from plaza.market.kinds import KindRules, Kinds
from plaza.market.model import MAX_AMOUNT, NewAsset, Requirements, attributes
from plaza.market.settlement import MemorySettlementStore, Phase, SettlementService
from plaza.testing import FakeClock
from plaza.testing.payments import FakePayments

HOUR_MS = 3_600_000


@dataclass
class World:
    clock: FakeClock
    journal: MemoryBookStore
    book: BidManager
    settlement: SettlementService
    desk: ContractDesk
    payments: FakePayments
    parking: ParkingKind


def world(parking: ParkingKind | None = None) -> World:
    """A cda marketplace with the parking kind registered: the book, the desk, settlement."""
    parking = parking or ParkingKind()
    kinds = Kinds([parking])
    clock, journal = FakeClock(), MemoryBookStore()
    book = BidManager(
        journal, clock=clock, policy="cda", kinds=kinds, assets=MemoryAssetDirectory()
    )
    payments = FakePayments({"bob": 10_000}, {})
    settlement = SettlementService(MemorySettlementStore(), payments, clock, listener=kinds)
    desk = ContractDesk(SigningKey.generate(), settlement, kinds=kinds)
    return World(clock, journal, book, settlement, desk, payments, parking)


def parked(w: World, hours: int = 12, price: int = 10) -> SignedContract:
    """A parking contract: a van spot offered, rented for ``hours``."""
    w.book.submit_order(offer("alice", hours, price, kind="parking", attrs={"size": "van"}))
    submission = w.book.submit_order(request("bob", hours, price, kind="parking"))
    [contract] = w.desk.open(submission.matches)
    return contract


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        (offer("alice", 5, 10, kind="parking"), "an offer must say its spot's size"),
        (offer("alice", 5, 10, kind="parking", attrs={"size": "huge"}), "size must be one of"),
        (offer("alice", 200, 10, kind="parking", attrs={"size": "van"}), "at most 168"),
        (
            request("bob", 5, 10, kind="parking", requires=Requirements(attributes({"size": 4}))),
            "got 4",
        ),
    ],
)
def test_an_order_breaking_its_kinds_rules_is_refused_before_the_book(
    order: object, reason: str
) -> None:
    w = world()
    with pytest.raises(InvalidOrder) as refused:
        w.book.submit_order(order)  # type: ignore[arg-type]
    assert str(refused.value).startswith("invalid order: parking: ")
    assert reason in refused.value.reason
    assert w.book.orders() == []
    assert list(w.journal.entries()) == []


def test_kinds_no_vertical_registers_trade_as_before() -> None:
    w = world()
    w.book.submit_order(offer("alice", 5, 10, kind="size-free"))
    [match] = w.book.submit_order(request("bob", 5, 10, kind="size-free")).matches
    assert match.policy == "cda"
    [contract] = w.desk.open([match])
    assert (contract.value, contract.total, contract.terms()["total"]) == (None, 50, 50)


def test_the_market_checks_its_own_rules_before_the_kinds() -> None:
    w = world()
    with pytest.raises(InvalidOrder) as refused:
        w.book.submit_order(offer("alice", 0, 10, kind="parking", attrs={"size": "van"}))
    assert refused.value.reason.startswith("quantity must be between 1")


def test_an_order_whose_contract_would_cost_more_than_a_ledger_amount_is_refused() -> None:
    class Dear(KindRules):
        kind = "dear"

        def contract_value(self, quantity: int, unit_price: int) -> int:
            return MAX_AMOUNT + quantity

    book = BidManager(MemoryBookStore(), clock=FakeClock(), kinds=Kinds([Dear()]))
    with pytest.raises(InvalidOrder) as refused:
        book.submit_order(offer("alice", 1, 1, kind="dear"))
    assert "the whole order would cost" in refused.value.reason
    assert book.orders() == []


def test_a_kind_trades_under_its_own_policy_beside_the_markets() -> None:
    w = world()
    contract = parked(w)
    assert contract.match.policy == "one_to_one"
    assert w.book.statistics().policy == "cda"
    # one to one: a whole request against the oldest fitting offer, never a partial fill
    w.book.submit_order(offer("carol", 3, 10, kind="parking", attrs={"size": "compact"}))
    assert w.book.submit_order(request("dave", 5, 10, kind="parking")).matches == ()


def test_a_contract_costs_its_kinds_price_signed_settled_and_read_back() -> None:
    w = world()
    contract = parked(w, hours=26, price=10)  # a day pass (10 paid hours) and 2 hours
    assert (contract.total, contract.value, contract.match.total) == (120, 120, 260)
    assert contract.terms()["total"] == 120
    contract.check_signature()
    again = SignedContract.from_terms(contract.terms(), contract.signature)
    assert again == replace(contract, match=replace(contract.match, step=0))  # not signed
    again.check_signature()
    settled = w.settlement.get(contract.match.id).contract
    assert (settled.kind, settled.total) == ("parking", 120)


def test_contract_made_runs_once_even_when_the_desk_opens_the_match_again() -> None:
    w = world()
    contract = parked(w)
    w.desk.open([contract.match])  # a reconciliation after a restart
    assert w.parking.calls == [("contract_made", contract.match.id)]


def test_the_settlement_phases_run_the_kinds_hooks() -> None:
    w = world()
    paid, claimed, cancelled = parked(w), parked(w), parked(w)
    for contract in (paid, claimed):
        w.settlement.report_delivery(contract.match.id, "bob")
    w.settlement.request_payment(paid.match.id)
    message = w.payments.transfer("bob", "alice", paid.total, contract_id=paid.match.id)
    w.settlement.record_payment(paid.match.id, message)
    w.payments.confirm()
    w.settlement.confirm_payments()
    assert w.settlement.get(paid.match.id).phase is Phase.FULFILLED
    for _ in range(6):  # cancelled at the provision timeout; reminded three times, then claimed
        w.clock.advance(ms=HOUR_MS)
        w.settlement.sweep()
    assert w.settlement.get(claimed.match.id).phase is Phase.CLAIM_ISSUED
    assert w.settlement.get(cancelled.match.id).phase is Phase.CANCELLED
    hooks = sorted((hook, c) for hook, c in w.parking.calls if hook != "contract_made")
    expected = [
        ("cancelled", cancelled.match.id),
        ("claimed", claimed.match.id),
        ("delivered", paid.match.id),
        ("delivered", claimed.match.id),
        ("settled", paid.match.id),
    ]
    assert hooks == sorted(expected)


def test_a_failing_hook_is_logged_and_the_contract_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(ParkingKind):
        def contract_made(self, contract: SignedContract) -> None:
            raise RuntimeError("the vertical's bug")

    w = world(Broken())
    with caplog.at_level(logging.ERROR, logger="plaza.market.kinds"):
        contract = parked(w)
    assert w.settlement.get(contract.match.id).phase is Phase.CONTRACT_CREATED
    assert "the contract_made hook of kind 'parking' failed" in caplog.text


def test_assets_of_the_kind_keep_its_rules_when_registered_and_described_anew() -> None:
    w = world()
    with pytest.raises(InvalidAsset) as refused:
        w.book.register_asset(NewAsset("alice", "parking", "bay 4"))
    assert str(refused.value) == "invalid asset: parking: a spot's size must be one of " + (
        "compact, standard, van"
    )
    bay = w.book.register_asset(
        NewAsset("alice", "parking", "bay 4", attributes=attributes({"size": "van"}))
    ).asset
    with pytest.raises(InvalidAsset):
        w.book.update_asset(bay.id, AssetChange("bay 4", None, ()), participant="alice")
    assert w.book.asset(bay.id) == bay


def test_one_kind_one_spec_and_a_known_policy() -> None:
    with pytest.raises(DuplicateKind):
        Kinds([ParkingKind(), ParkingKind()])

    class Odd(KindRules):
        kind = "odd"
        policy = "lottery"

    with pytest.raises(UnknownPolicy):
        Kinds([Odd()])
