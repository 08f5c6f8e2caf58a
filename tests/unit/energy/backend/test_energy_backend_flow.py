"""The marketplace backend's happy path, letter by letter, and the audit of what it recorded.

Real SQLite, a real in-process node for the twins, assets played by the kit: every
letter the marketplace sends is opened with the recipient's key and checked.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_energy_backend_kit import World, build_world, contract_transaction, contracted

from plaza.energy.envelope import verify_document
from plaza.energy.model import AssetType, EnergyContract, Transaction, TransactionStatus
from plaza.energy.twins import parse_reader_key, read_twin
from plaza.testing.nodes import InProcessNode, in_process_node


@pytest.fixture
def node() -> Iterator[InProcessNode]:
    with in_process_node(network="plaza-energy-backend-flow") as running:
        yield running


@pytest.fixture
def world(node: InProcessNode) -> Iterator[World]:
    built = build_world(node)
    try:
        yield built
    finally:
        built.market.close()


def test_offers_and_requests_reach_the_bid_manager_as_seed_bids(world: World) -> None:
    provider = world.asset("solar", AssetType.PROVIDER)
    consumer = world.asset("ev", AssetType.CONSUMER)
    offer, request = provider.new(1000, 10), consumer.new(400, 12)
    world.market.marketplace.offer(provider.intake(offer, world.key))
    world.market.marketplace.request(consumer.intake(request, world.key))
    world.deliver()
    assert world.bids("/offer") == [
        {
            "providerId": "solar",
            "providerTransactionId": offer.id,
            "energyAmount": 1000,
            "energyPrice": 10,
            "type": "offer",
            "walletAddress": provider.wallet,
            "timestamp": offer.timestamp,
            "additionalDetails": "",
        }
    ]
    assert world.bids("/request") == [
        {
            "requesterId": "ev",
            "requesterTransactionId": request.id,
            "energyAmount": 400,
            "energyPrice": 12,
            "type": "request",
            "timestamp": request.timestamp,
            "additionalDetails": "",
        }
    ]
    stats = world.market.statistics()
    assert (stats["assets"], stats["offers"], stats["requests"]) == (2, 1, 1)


def test_a_match_sends_both_parties_the_signed_contract_and_its_twin(world: World) -> None:
    provider, consumer, contract_id = contracted(world)
    for asset in (provider, consumer):
        (body,) = world.letters_to(asset, "/contract")
        message = verify_document(body["contract"], world.key.signing)
        contract = EnergyContract.from_json(message)
        assert contract.contractId == contract_id
        assert contract.transaction.status is TransactionStatus.CONTRACT_CREATED
        assert (contract.transaction.energyAmount, contract.transaction.energyPrice) == (400, 10)
        entries, problems = read_twin(
            world.ledger.ledger,
            parse_reader_key(body["twin"]),
            world.key.signing,
            world.ledger.confirmed,
        )
        assert problems == []
        assert [entry.state for entry in entries] == [message]
    assert world.market.statistics()["contracts"] == 1


def _settle_fully(world: World) -> tuple[str, Transaction]:
    provider, consumer, contract_id = contracted(world)
    market = world.market.marketplace
    terms = contract_transaction(world, provider)
    now = world.clock.now_ms
    provided = terms.with_status(TransactionStatus.PROVISION_FINISHED, timestamp_ms=now())
    market.settle("/provision", consumer.step(terms.requesterTransactionId, provided, world.key))
    market.settle("/provision", provider.step(terms.providerTransactionId, provided, world.key))
    world.deliver()
    (payment,) = world.letters_to(consumer, "/payment")
    requested = Transaction.from_json(payment["transaction"])
    assert requested.status is TransactionStatus.PAYMENT_REQUESTED
    assert requested.same_terms(terms) == []
    message = world.pay(consumer, terms)  # checked on the ledger by the marketplace
    paid = requested.with_status(
        TransactionStatus.PAYMENT_PROCESSED, timestamp_ms=now(), paymentMessageId=message
    )
    market.settle(
        "/payment_processing", consumer.step(terms.requesterTransactionId, paid, world.key)
    )
    world.deliver()
    (sent,) = world.letters_to(provider, "/payment_sent")
    told = Transaction.from_json(sent["transaction"])
    assert (told.status, told.paymentMessageId) == (TransactionStatus.PAYMENT_SENT, message)
    confirmed = told.with_status(TransactionStatus.PAYMENT_CONFIRMED, timestamp_ms=now())
    market.settle(
        "/payment_confirmation", provider.step(terms.providerTransactionId, confirmed, world.key)
    )
    world.deliver()
    (done,) = world.letters_to(consumer, "/payment_confirmed")
    assert Transaction.from_json(done["transaction"]) == confirmed
    return contract_id, confirmed


def test_settlement_is_relayed_between_the_parties(world: World) -> None:
    _settle_fully(world)
    stats = world.market.statistics()
    assert stats["provisions"] == 2
    assert (stats["payments_processed"], stats["payments_confirmed"]) == (1, 1)


def test_the_audit_finds_every_state_on_the_twins_once_confirmed(world: World) -> None:
    contract_id, _ = _settle_fully(world)
    before = world.market.audit(contract_id)
    assert not before.ok  # nothing is confirmed by a milestone yet
    assert all("not confirmed" in p or "unconfirmed" in p for p in before.contract.problems)
    world.node.milestone()
    audit = world.market.audit(contract_id)
    assert audit.ok, audit.to_json()
    statuses = [entry.state.get("status") for entry in audit.contract.entries]
    # the contract, both provisions, the payment request, payment processed and sent,
    # and the confirmation (passed on unchanged, so on the twin once)
    assert statuses[0] is None
    assert statuses[1:] == [
        "Energy provision finished",
        "Energy provision finished",
        "Payment requested",
        "Payment processed",
        "Payment sent",
        "Payment confirmed",
    ]
    assert audit.consumer.entries[0].state["status"] == "Initial request"
    assert "secret" not in str(audit.to_json()).lower()


def test_the_audit_reports_a_state_missing_from_a_party_twin(world: World) -> None:
    _, consumer, contract_id = contracted(world)
    terms = contract_transaction(world, consumer)
    provided = terms.with_status(
        TransactionStatus.PROVISION_FINISHED, timestamp_ms=world.clock.now_ms()
    )
    letter = consumer.step(terms.requesterTransactionId, provided, world.key, on_twin=False)
    world.market.marketplace.settle("/provision", letter)
    world.node.milestone()
    audit = world.market.audit(contract_id)
    assert audit.contract.ok
    assert audit.provider.ok
    assert not audit.consumer.ok
    assert audit.consumer.problems == ("state 1 (Energy provision finished) is not on the twin",)


def test_reminders_ask_the_consumer_to_pay_again_with_the_count(world: World) -> None:
    provider, consumer, _ = contracted(world)
    market = world.market.marketplace
    terms = contract_transaction(world, provider)
    provided = terms.with_status(
        TransactionStatus.PROVISION_FINISHED, timestamp_ms=world.clock.now_ms()
    )
    market.settle("/provision", provider.step(terms.providerTransactionId, provided, world.key))
    for count in (1, 2):
        world.clock.advance(seconds=60)
        reminder = provided.with_status(
            TransactionStatus.REMINDER_ISSUED, timestamp_ms=world.clock.now_ms(), reminders=count
        )
        market.settle("/reminder", provider.step(terms.providerTransactionId, reminder, world.key))
    world.deliver()
    payments = [
        Transaction.from_json(b["transaction"]) for b in world.letters_to(consumer, "/payment")
    ]
    assert [(p.status, p.reminders) for p in payments] == [
        (TransactionStatus.PAYMENT_REQUESTED, 0),
        (TransactionStatus.PAYMENT_REQUESTED, 1),
        (TransactionStatus.PAYMENT_REQUESTED, 2),
    ]
    assert world.market.statistics()["reminders"] == 2


def test_a_cancel_before_the_contract_removes_the_bid(world: World) -> None:
    provider = world.asset("solar", AssetType.PROVIDER)
    offer = provider.new(1000, 10)
    world.market.marketplace.offer(provider.intake(offer, world.key))
    cancelled = offer.with_status(TransactionStatus.CANCELLED, timestamp_ms=world.clock.now_ms())
    letter = provider.step(offer.id, cancelled, world.key)
    world.market.marketplace.settle("/cancel", letter)
    world.deliver()
    assert world.bids("/remove") == [{"type": "offer", "providerTransactionId": offer.id}]
    assert world.market.statistics()["cancellations"] == 1


def test_a_cancel_of_a_contract_tells_the_other_party(world: World) -> None:
    provider, consumer, contract_id = contracted(world)
    terms = contract_transaction(world, consumer)
    cancelled = terms.with_status(TransactionStatus.CANCELLED, timestamp_ms=world.clock.now_ms())
    world.market.marketplace.settle(
        "/cancel", consumer.step(terms.requesterTransactionId, cancelled, world.key)
    )
    world.deliver()
    (body,) = world.letters_to(provider, "/cancel")
    told = Transaction.from_json(body["transaction"])
    assert (told.status, told.contractId) == (TransactionStatus.CANCELLED, contract_id)
    assert world.bids("/remove") == []


def test_restarting_keeps_assets_transactions_and_contracts(
    world: World, node: InProcessNode
) -> None:
    _, _, contract_id = contracted(world)
    stats = world.market.statistics()
    world.market.close()
    again = build_world(node, world.kept)
    try:
        assert again.market.key == world.market.key
        assert again.market.statistics() == stats
        node.milestone()
        assert again.market.audit(contract_id).contract.ok
    finally:
        again.market.close()
        world.market = again.market  # the fixture closes it again: closing twice is harmless
