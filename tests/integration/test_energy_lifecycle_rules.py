"""The marketplace enforces the settlement lifecycle over real HTTP, whatever a party sends.

The marketplace backend and the bid manager run on uvicorn threads; the two assets
are played by this test, which seals their letters itself, so each can send what an
honest asset module never would. The consumer pays on the ledger for real, so the
marketplace can check the payment it reports.

Rules (docs/energy.md, "Rules the marketplace enforces"): a claim only after the
third reminder, a payment wait after it, and only on a contract no checked payment
pays; a cancel only before delivery; reminder ``n`` only after the payment wait; a
refused letter changes nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from plaza.adapters.ledger.local import LocalLedger
from plaza.api.energy import BidManagerService, MarketplaceService
from plaza.api.energy.link import HttpLink
from plaza.api.serving import ThreadedServer, bind_listener, listener_url
from plaza.bootstrap.energy_modules import (
    bidmanager_key,
    marketplace_key,
    open_bidmanager,
    open_marketplace,
)
from plaza.channels import MemoryCursorStore
from plaza.crypto import Address, Identity
from plaza.energy.backend import contract_id_for
from plaza.energy.envelope import ModuleKey, seal_letter
from plaza.energy.keys import load_or_create
from plaza.energy.ledger import LedgerAccess
from plaza.energy.model import EnergyContract, Transaction, TransactionStatus, TransactionType
from plaza.energy.reads import read_credentials
from plaza.energy.twins import Twins
from plaza.jobs import InlineQueue, Worker
from plaza.ledger.model import Output, TransferPayload
from plaza.market.payments.service import DeviceAccount, LedgerPayments
from plaza.market.settlement import Contract as SettlementContract
from plaza.market.twins.records import MemoryTwinIndex
from plaza.testing.nodes import InProcessNode, in_process_node

#: The marketplace's default payment wait (``MarketplaceSettings.payment_wait_ms``): reminders
#: and the claim must be spaced by it.
WAIT_MS = 1_000
_NAMES = itertools.count()


def inbox_app(received: list[tuple[str, bytes]]) -> FastAPI:
    """Every asset's endpoints at once: ``/<assetId>/<path>`` keeps the letter, says yes."""
    app = FastAPI()

    @app.post("/{asset}/{path}")
    async def keep(asset: str, path: str, request: Request) -> dict[str, bool]:
        received.append((f"/{asset}/{path}", await request.body()))
        return {"success": True}

    return app


@dataclass
class Party:
    """An asset played by the test: its keys, wallet key, twins and letters."""

    asset_id: str
    side: TransactionType
    node: InProcessNode
    inbox: str
    identity: Identity = field(default_factory=Identity.generate)
    wallet_key: Identity = field(default_factory=Identity.generate)

    def __post_init__(self) -> None:
        ledger = LedgerAccess(LocalLedger(self.node.runtime))
        self.twins = Twins(
            identity=self.identity,
            gateway=ledger.ledger,
            cursors=MemoryCursorStore(),
            index=MemoryTwinIndex(),
            clock=self.node.clock,
        )

    @property
    def wallet(self) -> str:
        return str(self.wallet_key.address)

    def letter(self, body: dict[str, Any], to: ModuleKey) -> bytes:
        return seal_letter(
            body,
            sender=self.asset_id,
            identity=self.identity,
            recipient=to,
            audience="marketplace",
            now_ms=self.node.clock.now_ms(),
        )

    def registration(self) -> dict[str, Any]:
        kind = "provider" if self.side is TransactionType.OFFER else "consumer"
        return {
            "asset": {
                "assetId": self.asset_id,
                "type": kind,
                "url": f"{self.inbox}/{self.asset_id}",
                "publicKey": ModuleKey.of(self.identity).to_text(),
                "walletAddress": self.wallet,
                "assetOwner": "owner-1",
            }
        }

    def new(self, energy: int, price: int) -> Transaction:
        tx_id = f"{self.asset_id}-t"
        ids = (
            {"providerId": self.asset_id, "providerTransactionId": tx_id}
            if self.side is TransactionType.OFFER
            else {"requesterId": self.asset_id, "requesterTransactionId": tx_id}
        )
        status = (
            TransactionStatus.INITIAL_OFFER
            if self.side is TransactionType.OFFER
            else TransactionStatus.INITIAL_REQUEST
        )
        transaction = Transaction(
            type=self.side,
            status=status,
            energyAmount=energy,
            energyPrice=price,
            timestamp=str(self.node.clock.now_ms()),
            walletAddress=self.wallet,
            **ids,
        )
        self.twins.record(tx_id, transaction.to_json())
        return transaction

    def intake(self, transaction: Transaction, to: ModuleKey) -> bytes:
        twin = self.twins.reader_key(transaction.id)
        return self.letter({"transaction": transaction.to_json(), "twin": twin}, to)


@dataclass
class Stack:
    node: InProcessNode
    market: MarketplaceService
    bids: BidManagerService
    market_url: str
    inbox_url: str
    received: list[tuple[str, bytes]]
    queues: tuple[InlineQueue, InlineQueue]
    client: httpx.Client
    operator: Identity  # holds the marketplace's key: its audit's reader

    def audit(self, contract_id: str) -> dict[str, Any]:
        path = f"/audit/{contract_id}"
        headers = read_credentials(
            path,
            sender="marketplace",
            identity=self.operator,
            recipient=self.market.key,
            audience="marketplace",
            now_ms=self.node.clock.now_ms(),
        )
        reply: dict[str, Any] = self.client.get(self.market_url + path, headers=headers).json()
        return reply

    def deliver(self) -> None:
        """Run both services' outboxes until no letter is left to send."""
        workers = [
            Worker(self.queues[0], self.market.handlers()),
            Worker(self.queues[1], self.bids.handlers()),
        ]
        while sum(worker.run_until_idle() for worker in workers):
            pass

    def post(self, path: str, content: bytes) -> httpx.Response:
        return self.client.post(
            self.market_url + path, content=content, headers={"content-type": "application/json"}
        )

    def party(self, side: TransactionType) -> Party:
        kind = "solar" if side is TransactionType.OFFER else "ev"
        party = Party(f"{kind}-{next(_NAMES)}", side, self.node, self.inbox_url)
        reply = self.post("/register", party.letter(party.registration(), self.market.key))
        assert reply.json() == {"success": True}, reply.text
        return party

    def letters(self, party: Party) -> list[str]:
        """The paths of the letters ``party`` received, in order."""
        prefix = f"/{party.asset_id}/"
        return [
            where.removeprefix(prefix) for where, _ in self.received if where.startswith(prefix)
        ]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = Path(tmp_path_factory.mktemp("energy-rules"))
    market_socket, bids_socket = bind_listener(), bind_listener()
    received: list[tuple[str, bytes]] = []
    with in_process_node(network="plaza-energy-rules") as node:
        link = HttpLink(timeout_s=5.0)
        queues = (InlineQueue(node.clock), InlineQueue(node.clock))
        market = open_marketplace(
            root / "marketplace",
            ledger=LedgerAccess(LocalLedger(node.runtime)),
            link=link,
            queue=queues[0],
            clock=node.clock,
            bidmanager_url=listener_url(bids_socket),
            bidmanager_key=bidmanager_key(root / "bidmanager"),
        )
        bids = open_bidmanager(
            root / "bidmanager",
            link=link,
            queue=queues[1],
            clock=node.clock,
            marketplace_url=listener_url(market_socket),
            marketplace_key=marketplace_key(root / "marketplace"),
        )
        with (
            ThreadedServer(market.app, listener=market_socket) as market_server,
            ThreadedServer(bids.app, listener=bids_socket),
            ThreadedServer(inbox_app(received)) as inbox,
            httpx.Client(timeout=10.0) as client,
        ):
            operator = load_or_create(root / "marketplace" / "marketplace.key").identity
            yield Stack(
                node, market, bids, market_server.url, inbox.url, received, queues, client, operator
            )
        market.close()
        bids.close()
        link.close()


@dataclass
class Deal:
    """A contract between two played parties, and the terms every letter about it carries."""

    stack: Stack
    provider: Party
    consumer: Party
    terms: Transaction

    @property
    def contract_id(self) -> str:
        return self.terms.contractId

    def send(
        self, party: Party, path: str, status: TransactionStatus, **changes: Any
    ) -> httpx.Response:
        """``party``'s letter on ``path`` with the contract transaction in ``status``."""
        stack = self.stack
        state = self.terms.with_status(status, timestamp_ms=stack.node.clock.now_ms(), **changes)
        record_id = (
            state.providerTransactionId if party is self.provider else state.requesterTransactionId
        )
        party.twins.record(record_id, state.to_json())
        reply = stack.post(path, party.letter({"transaction": state.to_json()}, stack.market.key))
        stack.deliver()
        return reply

    def provide(self) -> None:
        assert (
            self.send(self.provider, "/provision", TransactionStatus.PROVISION_FINISHED).status_code
            == 200
        )

    def pay(self) -> str:
        """The consumer pays the contract on the ledger and reports it: the message id."""
        node, value = self.stack.node, self.terms.value
        ledger = LocalLedger(node.runtime)
        payload = TransferPayload((Output(Address.parse(self.consumer.wallet).raw, 10 * value),))
        ledger.submit(ledger.compose(node.treasury, payload).raw)
        node.milestone()
        payments = LedgerPayments(ledger, [DeviceAccount(self.consumer.wallet_key.signing)])
        contract = SettlementContract(
            self.contract_id, self.provider.wallet, self.consumer.wallet, value, 1, 0
        )
        payment = payments.prepare(contract)
        payments.submit(payment)
        node.milestone()
        message = payment.message_id.hex()
        reply = self.send(
            self.consumer,
            "/payment_processing",
            TransactionStatus.PAYMENT_PROCESSED,
            paymentMessageId=message,
        )
        assert reply.status_code == 200, reply.text
        return message

    def remind(self, count: int) -> httpx.Response:
        return self.send(
            self.provider, "/reminder", TransactionStatus.REMINDER_ISSUED, reminders=count
        )

    def claim(self) -> httpx.Response:
        return self.send(self.provider, "/claim", TransactionStatus.CLAIM_ISSUED, reminders=3)

    def views(self) -> tuple[list[str], list[str], int, dict[str, int]]:
        """What each party was told, the length of the contract's twin, the letter counts."""
        stack = self.stack
        audit = stack.audit(self.contract_id)
        return (
            stack.letters(self.provider),
            stack.letters(self.consumer),
            len(audit["contract"]["entries"]),
            stack.market.statistics(),
        )

    def status(self) -> str:
        """The contract's status, as the marketplace's settlement of it says."""
        return str(self.stack.market.marketplace.contract_status(self.contract_id))


def contracted(stack: Stack, energy: int = 1_000, price: int = 20) -> Deal:
    provider, consumer = stack.party(TransactionType.OFFER), stack.party(TransactionType.REQUEST)
    offer, request = provider.new(energy, price), consumer.new(energy, price)
    assert stack.post("/offer", provider.intake(offer, stack.market.key)).status_code == 200
    assert stack.post("/request", consumer.intake(request, stack.market.key)).status_code == 200
    stack.deliver()
    assert stack.letters(provider) == stack.letters(consumer) == ["contract"]
    contract_id = contract_id_for(offer.id, request.id)
    terms = EnergyContract.join(contract_id, offer, request, now_ms=0).transaction
    return Deal(stack, provider, consumer, terms)


def refused(reply: httpx.Response, status: int, code: str) -> None:
    body = reply.json()
    assert (reply.status_code, body["success"], body.get("code")) == (status, False, code), body


def test_a_claim_after_a_checked_payment_is_refused(stack: Stack) -> None:
    """Issue 10 (a): a /claim with 0 reminders, 12 s after the consumer's /payment_processing."""
    deal = contracted(stack)
    deal.provide()
    deal.pay()
    stack.node.clock.advance(seconds=12)
    before = deal.views()
    refused(deal.claim(), 409, "wrong_state")
    assert deal.views() == before
    assert "claim" not in stack.letters(deal.consumer)
    reply = deal.send(deal.provider, "/payment_confirmation", TransactionStatus.PAYMENT_CONFIRMED)
    assert reply.status_code == 200, reply.text
    assert stack.letters(deal.consumer)[-1] == "payment_confirmed"
    assert deal.status() == "Payment confirmed"


def test_a_claim_after_three_reminders_even_on_a_paid_contract_is_refused(stack: Stack) -> None:
    deal = contracted(stack)
    deal.provide()
    for count in (1, 2, 3):
        stack.node.clock.advance(ms=WAIT_MS)
        assert deal.remind(count).status_code == 200
    deal.pay()
    stack.node.clock.advance(ms=WAIT_MS)
    refused(deal.claim(), 409, "wrong_state")
    assert "claim" not in stack.letters(deal.consumer)


def test_a_cancel_of_a_paid_contract_is_refused(stack: Stack) -> None:
    """Issue 10 (b): the provider cancels a contract the consumer has paid."""
    deal = contracted(stack)
    deal.provide()
    deal.pay()
    before = deal.views()
    refused(deal.send(deal.provider, "/cancel", TransactionStatus.CANCELLED), 409, "wrong_state")
    assert deal.views() == before
    assert "cancel" not in stack.letters(deal.consumer)
    assert deal.status() == "Payment processed"


def test_a_cancel_after_delivery_is_refused_and_before_it_is_relayed(stack: Stack) -> None:
    delivered = contracted(stack)
    delivered.provide()
    refused(
        delivered.send(delivered.consumer, "/cancel", TransactionStatus.CANCELLED),
        409,
        "wrong_state",
    )
    fresh = contracted(stack)
    assert fresh.send(fresh.consumer, "/cancel", TransactionStatus.CANCELLED).status_code == 200
    assert stack.letters(fresh.provider) == ["contract", "cancel"]
    assert fresh.status() == "Cancelled"


def test_a_reminder_before_the_payment_wait_is_refused(stack: Stack) -> None:
    deal = contracted(stack)
    deal.provide()
    stack.node.clock.advance(ms=WAIT_MS // 2)
    before = deal.views()
    refused(deal.remind(1), 409, "wrong_state")
    assert deal.views() == before
    assert deal.status() == "Payment requested"
    stack.node.clock.advance(ms=WAIT_MS // 2)
    assert deal.remind(1).status_code == 200
    refused(deal.remind(2), 409, "wrong_state")  # the wait starts again at each reminder
    assert stack.letters(deal.consumer) == ["contract", "payment", "payment"]


def test_a_claim_needs_three_reminders_and_a_second_claim_changes_nothing(stack: Stack) -> None:
    deal = contracted(stack)
    deal.provide()
    for count in (1, 2):
        stack.node.clock.advance(ms=WAIT_MS)
        assert deal.remind(count).status_code == 200
    stack.node.clock.advance(ms=WAIT_MS)
    refused(deal.claim(), 409, "wrong_state")  # two reminders only
    assert deal.remind(3).status_code == 200
    refused(deal.claim(), 409, "wrong_state")  # no payment wait after the third
    stack.node.clock.advance(ms=WAIT_MS)
    assert deal.claim().status_code == 200
    stack.node.clock.advance(seconds=1)
    after = deal.views()
    assert deal.claim().status_code == 200  # a second claim: accepted, and nothing changes
    assert deal.views() == after
    assert stack.letters(deal.consumer).count("claim") == 1
    assert deal.status() == "Claim issued"


def test_a_claimed_contract_paid_late_still_settles(stack: Stack) -> None:
    deal = contracted(stack)
    deal.provide()
    for count in (1, 2, 3):
        stack.node.clock.advance(ms=WAIT_MS)
        assert deal.remind(count).status_code == 200
    stack.node.clock.advance(ms=WAIT_MS)
    assert deal.claim().status_code == 200
    deal.pay()
    assert stack.letters(deal.provider)[-1] == "payment_sent"
    reply = deal.send(deal.provider, "/payment_confirmation", TransactionStatus.PAYMENT_CONFIRMED)
    assert reply.status_code == 200, reply.text
    assert deal.status() == "Payment confirmed"


def test_a_stranger_cannot_cancel_a_contract(stack: Stack) -> None:
    deal = contracted(stack)
    stranger = stack.party(TransactionType.REQUEST)
    state = deal.terms.with_status(
        TransactionStatus.CANCELLED, timestamp_ms=stack.node.clock.now_ms()
    )
    before = deal.views()
    reply = stack.post(
        "/cancel", stranger.letter({"transaction": state.to_json()}, stack.market.key)
    )
    stack.deliver()
    refused(reply, 403, "forbidden")
    assert deal.views() == before
    assert stack.letters(stranger) == []


def test_a_payment_that_is_not_the_contracts_is_refused(stack: Stack) -> None:
    deal = contracted(stack)
    deal.provide()
    before = deal.views()
    reply = deal.send(
        deal.consumer,
        "/payment_processing",
        TransactionStatus.PAYMENT_PROCESSED,
        paymentMessageId="ab" * 32,
    )
    refused(reply, 400, "invalid_message")
    assert deal.views() == before
    stack.node.clock.advance(ms=WAIT_MS)
    assert deal.remind(1).status_code == 200  # still unpaid
