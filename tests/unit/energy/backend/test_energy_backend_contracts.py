"""Contracts at the marketplace: made once per pair, never twice per transaction, retried
letters answered with the same letters, and twin states kept until the ledger takes them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from test_energy_backend_kit import World, build_world, contract_transaction, contracted

from plaza.channels import LedgerUnavailable
from plaza.energy.backend import contract_id_for
from plaza.energy.errors import InvalidMessage, UnknownRecord, WrongState
from plaza.energy.model import AssetType, Transaction, TransactionStatus
from plaza.ledger.ports import Ledger
from plaza.testing.ledgers import LedgerProxy
from plaza.testing.nodes import InProcessNode, in_process_node


class FlakyGateway(LedgerProxy):
    """The node's ledger, refusing submissions while ``down``."""

    def __init__(self, inner: Ledger) -> None:
        super().__init__(inner)
        self.down = False

    def submit(self, raw: bytes) -> bytes:
        if self.down:
            raise LedgerUnavailable("the node is down (test)")
        return self.inner.submit(raw)


@pytest.fixture
def node() -> Iterator[InProcessNode]:
    with in_process_node(network="plaza-energy-backend-contracts") as running:
        yield running


@pytest.fixture
def world(node: InProcessNode) -> Iterator[World]:
    built = build_world(node)
    try:
        yield built
    finally:
        built.market.close()


def test_a_repeated_match_makes_the_contract_once(world: World) -> None:
    provider = world.asset("solar", AssetType.PROVIDER)
    consumer = world.asset("ev", AssetType.CONSUMER)
    offer, request = provider.new(1000, 10), consumer.new(400, 12)
    market = world.market.marketplace
    market.offer(provider.intake(offer, world.key))
    market.request(consumer.intake(request, world.key))
    first = market.match(world.match_letter(offer, request))
    world.clock.advance(seconds=5)
    second = market.match(world.match_letter(offer, request))
    world.deliver()
    assert first == second == {"contractId": contract_id_for(offer.id, request.id)}
    assert world.market.statistics()["contracts"] == 1
    assert len(world.letters_to(provider, "/contract")) == 1
    assert len(world.letters_to(consumer, "/contract")) == 1
    world.node.milestone()
    audit = world.market.audit(first["contractId"])
    assert audit.ok
    assert len(audit.contract.entries) == 1


def test_a_transaction_is_in_one_contract_at_most(world: World) -> None:
    provider, _, _ = contracted(world)
    (body,) = world.letters_to(provider, "/contract")
    offer = Transaction.from_json(body["contract"]["message"]["offer"])
    other = world.asset("ev2", AssetType.CONSUMER)
    request = other.new(100, 20)
    market = world.market.marketplace
    market.request(other.intake(request, world.key))
    with pytest.raises(WrongState, match="no longer open"):
        market.match(world.match_letter(offer, request))
    assert world.market.statistics()["contracts"] == 1


def test_a_match_the_contract_cannot_hold_is_refused(world: World) -> None:
    provider = world.asset("solar", AssetType.PROVIDER)
    consumer = world.asset("ev", AssetType.CONSUMER)
    offer, request = provider.new(300, 10), consumer.new(400, 12)
    market = world.market.marketplace
    market.offer(provider.intake(offer, world.key))
    with pytest.raises(UnknownRecord):
        market.match(world.match_letter(offer, request))  # the request never arrived
    market.request(consumer.intake(request, world.key))
    with pytest.raises(InvalidMessage, match="more energy than the offer"):
        market.match(world.match_letter(offer, request))
    assert world.market.statistics()["contracts"] == 0


def test_a_match_of_a_cancelled_request_is_refused(world: World) -> None:
    provider = world.asset("solar", AssetType.PROVIDER)
    consumer = world.asset("ev", AssetType.CONSUMER)
    offer, request = provider.new(1000, 10), consumer.new(400, 12)
    market = world.market.marketplace
    market.offer(provider.intake(offer, world.key))
    market.request(consumer.intake(request, world.key))
    cancelled = request.with_status(TransactionStatus.CANCELLED, timestamp_ms=world.clock.now_ms())
    market.settle("/cancel", consumer.step(request.id, cancelled, world.key))
    with pytest.raises(WrongState, match="cancelled"):
        market.match(world.match_letter(offer, request))


def test_a_cancel_that_crossed_its_contract_cancels_the_contract(world: World) -> None:
    provider, consumer, contract_id = contracted(world)
    (body,) = world.letters_to(consumer, "/contract")
    request = Transaction.from_json(body["contract"]["message"]["request"])
    assert request.status is TransactionStatus.INITIAL_REQUEST
    cancelled = request.with_status(TransactionStatus.CANCELLED, timestamp_ms=world.clock.now_ms())
    world.market.marketplace.settle("/cancel", consumer.step(request.id, cancelled, world.key))
    world.deliver()
    assert world.bids("/remove") == []
    (body,) = world.letters_to(provider, "/cancel")
    told = Transaction.from_json(body["transaction"])
    assert (told.status, told.contractId) == (TransactionStatus.CANCELLED, contract_id)
    provided = told.with_status(
        TransactionStatus.PROVISION_FINISHED, timestamp_ms=world.clock.now_ms()
    )
    letter = provider.step(told.providerTransactionId, provided, world.key)
    with pytest.raises(WrongState, match="'Cancelled'"):
        world.market.marketplace.settle("/provision", letter)


def test_a_retried_settlement_letter_sends_the_same_letter(world: World) -> None:
    provider, consumer, _ = contracted(world)
    terms = contract_transaction(world, provider)
    provided = terms.with_status(
        TransactionStatus.PROVISION_FINISHED, timestamp_ms=world.clock.now_ms()
    )
    market = world.market.marketplace
    market.settle("/provision", provider.step(terms.providerTransactionId, provided, world.key))
    world.clock.advance(seconds=1)
    market.settle("/provision", provider.letter({"transaction": provided.to_json()}, world.key))
    world.deliver()
    assert len(world.letters_to(consumer, "/payment")) == 1
    assert world.market.statistics()["provisions"] == 1


def test_twin_states_wait_for_the_ledger(node: InProcessNode) -> None:
    world = build_world(node)
    try:
        flaky = FlakyGateway(world.ledger.ledger)
        world.reopen(ledger=replace(world.ledger, ledger=flaky))
        provider, consumer, contract_id = contracted(world)
        terms = contract_transaction(world, provider)
        provided = terms.with_status(
            TransactionStatus.PROVISION_FINISHED, timestamp_ms=world.clock.now_ms()
        )
        letter = consumer.step(terms.requesterTransactionId, provided, world.key)
        flaky.down = True
        world.market.marketplace.settle("/provision", letter)  # accepted: the twin can wait
        assert world.market.marketplace.flush_twins() == 0
        flaky.down = False
        world.market.cycle()
        node.milestone()
        audit = world.market.audit(contract_id)
        assert audit.ok, [(e.position, e.state.get("status")) for e in audit.contract.entries]
    finally:
        world.market.close()
