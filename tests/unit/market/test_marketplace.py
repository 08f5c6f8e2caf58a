"""The marketplace facade: authorisation first, then the book, then signed contracts.

This is the authorization matrix at the use-case level: a participant cannot
change or see another's private records, and an auditor reads but changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pytest

from plaza.crypto import EncryptionKey, SigningKey
from plaza.market.auth import Forbidden, Participant, Principal, Role, participant_id_for
from plaza.market.book.memory import MemoryBookStore
from plaza.market.book.service import BidManager
from plaza.market.contracts import ContractDesk, ContractSignatureInvalid, SignedContract
from plaza.market.errors import TwinsBehind
from plaza.market.marketplace import Marketplace
from plaza.market.model import NewOrder, Side
from plaza.market.settlement import MemorySettlementStore, Phase, Settlement, SettlementService
from plaza.testing import FakeClock
from plaza.testing.payments import FakePayments

HOUR_MS = 3_600_000


def principal(number: int, *roles: Role) -> Principal:
    key = SigningKey(bytes([number]) * 32).public_key
    participant = Participant(
        id=participant_id_for(key),
        signing_key=key,
        encryption_key=EncryptionKey(bytes([number + 50]) * 32).public_key,
        display_name=f"participant {number}",
        roles=frozenset(roles),
        registered_at_ms=0,
    )
    return Principal.of_participant(participant)


SOLAR = principal(1, Role.PROVIDER)
EV = principal(2, Role.CONSUMER)
MALLORY = principal(3, Role.PROVIDER, Role.CONSUMER)
AUDITOR = principal(4, Role.AUDITOR)


@dataclass
class World:
    clock: FakeClock
    journal: MemoryBookStore
    book: BidManager
    settlements: MemorySettlementStore
    market: Marketplace
    key: SigningKey
    payments: FakePayments


class Gate:
    """An admission that refuses new work while ``closed`` (as the twin backlog does)."""

    def __init__(self) -> None:
        self.closed = False

    def admit(self) -> None:
        if self.closed:
            raise TwinsBehind(lag_ms=40_000, limit_ms=30_000, retry_after_s=10)


def world(policy: str = "one_to_one", admission: Gate | None = None) -> World:
    clock = FakeClock()
    journal = MemoryBookStore()
    book = BidManager(journal, clock=clock, policy=policy)
    settlements = MemorySettlementStore()
    payments = FakePayments({}, {})
    settlement = SettlementService(settlements, payments, clock)
    key = SigningKey.generate()
    market = Marketplace(
        book=book,
        journal=journal,
        desk=ContractDesk(key, settlement),
        settlement=settlement,
        admission=admission,
    )
    return World(clock, journal, book, settlements, market, key, payments)


def order(w: World, side: Side, owner: Principal, quantity: int, price: int) -> NewOrder:
    assert owner.participant_id is not None
    now = w.clock.now_ms()
    return NewOrder(side, owner.participant_id, "energy", quantity, price, now, now + HOUR_MS)


def matched(w: World) -> SignedContract:
    w.market.submit_order(SOLAR, order(w, Side.OFFER, SOLAR, 50, 9))
    outcome = w.market.submit_order(EV, order(w, Side.REQUEST, EV, 20, 10))
    [contract] = outcome.contracts
    return contract


def test_a_match_becomes_a_signed_contract_with_an_open_settlement() -> None:
    w = world()
    contract = matched(w)
    contract.check_signature()
    assert contract.marketplace_key == w.key.public_key.raw
    assert (contract.match.quantity, contract.match.unit_price) == (20, 9)  # the offer's price
    assert w.market.settlement(EV, contract.match.id).phase is Phase.CONTRACT_CREATED


def test_a_tampered_contract_fails_its_signature_check() -> None:
    from dataclasses import replace

    contract = matched(world())
    forged = replace(contract, match=replace(contract.match, unit_price=1))
    with pytest.raises(ContractSignatureInvalid):
        forged.check_signature()


def test_nobody_trades_for_someone_else() -> None:
    w = world()
    with pytest.raises(Forbidden):
        w.market.submit_order(MALLORY, order(w, Side.OFFER, SOLAR, 5, 5))
    mine = w.market.submit_order(SOLAR, order(w, Side.OFFER, SOLAR, 5, 5)).order
    for forbidden in (w.market.cancel_order, w.market.disable_order, w.market.suggest_matches):
        with pytest.raises(Forbidden):
            forbidden(MALLORY, mine.id)
    assert w.market.order(None, mine.id) == mine  # offers are public


def test_contracts_are_private_to_their_parties_and_auditors() -> None:
    w = world()
    contract_id = matched(w).match.id
    for party in (SOLAR, EV, AUDITOR):
        assert w.market.settlement(party, contract_id).id == contract_id
    with pytest.raises(Forbidden):
        w.market.settlement(MALLORY, contract_id)


def test_an_auditor_reads_but_changes_nothing() -> None:
    w = world()
    contract_id = matched(w).match.id
    before = (list(w.journal.entries()), w.settlements.get(contract_id))
    attempts = [
        lambda: w.market.submit_order(AUDITOR, order(w, Side.OFFER, AUDITOR, 1, 1)),
        lambda: w.market.report_delivery(AUDITOR, contract_id),
        lambda: w.market.request_payment(AUDITOR, contract_id),
        lambda: w.market.report_payment(AUDITOR, contract_id, b"\x00" * 32),
        lambda: w.market.cancel_order(AUDITOR, w.book.orders()[0].id),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden):
            attempt()
    assert (list(w.journal.entries()), w.settlements.get(contract_id)) == before
    assert w.market.audit_settlements(AUDITOR, [contract_id])[0].id == contract_id
    with pytest.raises(Forbidden):
        w.market.audit_settlements(EV, [contract_id])


def test_only_the_provider_requests_payment_and_only_parties_report_delivery() -> None:
    w = world()
    contract_id = matched(w).match.id
    with pytest.raises(Forbidden):
        w.market.report_delivery(MALLORY, contract_id)
    w.market.report_delivery(EV, contract_id)
    with pytest.raises(Forbidden):
        w.market.request_payment(EV, contract_id)
    assert w.market.request_payment(SOLAR, contract_id).phase is Phase.PAYMENT_REQUESTED


def test_only_the_consumer_reports_its_own_payment() -> None:
    w = world()
    match = matched(w).match
    w.market.report_delivery(SOLAR, match.id)
    message = w.payments.transfer(match.consumer, match.provider, match.total, contract_id=match.id)
    before = w.settlements.get(match.id)
    for caller in (SOLAR, MALLORY, AUDITOR):  # the payee would vouch for its own money
        with pytest.raises(Forbidden):
            w.market.report_payment(caller, match.id, message)
    assert w.settlements.get(match.id) == before
    paid = w.market.report_payment(EV, match.id, message)
    assert (paid.phase, paid.payment and paid.payment.message_id) == (
        Phase.PAYMENT_PROCESSED,
        message,
    )
    w.payments.balances[match.consumer] = match.total
    w.payments.confirm()
    w.market.run_periodic()
    assert w.market.settlement(SOLAR, match.id).phase is Phase.FULFILLED


def test_reconcile_opens_contracts_for_matches_journaled_before_a_crash() -> None:
    w = world()
    assert SOLAR.participant_id is not None
    assert EV.participant_id is not None
    # The book journals the match, then the process dies before the desk runs:
    w.book.submit_order(order(w, Side.OFFER, SOLAR, 50, 9))
    [match] = w.book.submit_order(order(w, Side.REQUEST, EV, 20, 10)).matches
    assert w.settlements.get(match.id) is None
    assert w.market.reconcile() == 1
    assert w.settlements.get(match.id) is not None
    first = w.settlements.get(match.id)
    w.market.reconcile()
    assert w.settlements.get(match.id) == first  # idempotent


class CountingTwins:
    def __init__(self) -> None:
        self.flushed = 0
        self.caught_up: list[str] = []

    def flush(self) -> int:
        self.flushed += 1
        return 0

    def catch_up(self, settlements: Iterable[Settlement]) -> int:
        self.caught_up.extend(s.id for s in settlements)
        return 0


def test_periodic_work_and_reconcile_drive_the_twins() -> None:
    w = world()
    twins = CountingTwins()
    payments = FakePayments({}, {})
    settlement = SettlementService(w.settlements, payments, w.clock)
    desk = ContractDesk(w.key, settlement)
    market = Marketplace(
        book=w.book, journal=w.journal, desk=desk, settlement=settlement, twins=twins
    )
    w.market = market
    contract_id = matched(w).match.id
    market.run_periodic()
    assert twins.flushed == 1
    market.reconcile()
    assert twins.caught_up == [contract_id]
    assert twins.flushed == 2


def test_while_admission_refuses_new_work_contracts_made_go_on_and_nothing_changes() -> None:
    gate = Gate()
    w = world(admission=gate)
    contract_id = matched(w).match.id
    offer = w.market.submit_order(SOLAR, order(w, Side.OFFER, SOLAR, 5, 5)).order
    w.market.disable_order(SOLAR, offer.id)
    gate.closed = True
    before = list(w.journal.entries())
    refused = [
        lambda: w.market.submit_order(EV, order(w, Side.REQUEST, EV, 5, 9)),
        lambda: w.market.enable_order(SOLAR, offer.id),
    ]
    for attempt in refused:
        with pytest.raises(TwinsBehind):
            attempt()
    assert list(w.journal.entries()) == before
    w.market.report_delivery(EV, contract_id)  # the work in flight goes on
    assert w.market.request_payment(SOLAR, contract_id).phase is Phase.PAYMENT_REQUESTED
    w.market.cancel_order(SOLAR, offer.id)
    gate.closed = False
    assert w.market.submit_order(EV, order(w, Side.REQUEST, EV, 5, 9)).order.quantity == 5
