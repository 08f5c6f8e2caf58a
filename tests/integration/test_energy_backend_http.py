"""The marketplace and the bid manager over real HTTP, with assets played by this test.

Both services run on uvicorn threads and talk through :class:`~plaza.energy.link.HttpLink`;
the assets' inbox is a third server. A match goes asset → marketplace → bid manager →
marketplace → both assets, every hop a sealed letter; bad input gets a specific 4xx and
changes nothing.
"""

from __future__ import annotations

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
from plaza.crypto import Identity
from plaza.energy.backend.model import MarketplaceSettings
from plaza.energy.envelope import ModuleKey, open_letter, seal_letter
from plaza.energy.keys import load_or_create
from plaza.energy.ledger import LedgerAccess
from plaza.energy.model import Transaction, TransactionStatus, TransactionType
from plaza.energy.reads import READ_HEADER, read_credentials
from plaza.energy.twins import Twins
from plaza.jobs import InlineQueue, Worker
from plaza.market.auth import MemoryNonceStore
from plaza.market.twins.records import MemoryTwinIndex
from plaza.testing.nodes import InProcessNode, in_process_node


def inbox_app(received: list[tuple[str, bytes]]) -> FastAPI:
    """Every asset's endpoints at once: ``/<assetId>/<path>`` keeps the letter, says yes."""
    app = FastAPI()

    @app.post("/{asset}/{path}")
    async def keep(asset: str, path: str, request: Request) -> dict[str, bool]:
        received.append((f"/{asset}/{path}", await request.body()))
        return {"success": True}

    return app


@dataclass
class Asset:
    asset_id: str
    kind: str
    inbox: str
    ledger: LedgerAccess
    node: InProcessNode
    identity: Identity = field(default_factory=Identity.generate)

    def __post_init__(self) -> None:
        self.twins = Twins(
            identity=self.identity,
            gateway=self.ledger.ledger,
            cursors=MemoryCursorStore(),
            index=MemoryTwinIndex(),
            clock=self.node.clock,
        )
        self.wallet = str(Identity.generate().address)

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
        return {
            "asset": {
                "assetId": self.asset_id,
                "type": self.kind,
                "url": f"{self.inbox}/{self.asset_id}",
                "publicKey": ModuleKey.of(self.identity).to_text(),
                "walletAddress": self.wallet,
                "assetOwner": "owner-1",
            }
        }

    def new(self, tx_id: str, energy: int, price: int) -> Transaction:
        side = TransactionType.OFFER if self.kind == "provider" else TransactionType.REQUEST
        ids: dict[str, Any] = (
            {
                "providerId": self.asset_id,
                "providerTransactionId": tx_id,
                "walletAddress": self.wallet,
            }
            if side is TransactionType.OFFER
            else {"requesterId": self.asset_id, "requesterTransactionId": tx_id}
        )
        status = (
            TransactionStatus.INITIAL_OFFER
            if side is TransactionType.OFFER
            else TransactionStatus.INITIAL_REQUEST
        )
        transaction = Transaction(
            type=side,
            status=status,
            energyAmount=energy,
            energyPrice=price,
            timestamp=str(self.node.clock.now_ms()),
            **ids,
        )
        self.twins.record(tx_id, transaction.to_json())
        return transaction

    def intake(self, transaction: Transaction, to: ModuleKey) -> bytes:
        return self.letter(
            {"transaction": transaction.to_json(), "twin": self.twins.reader_key(transaction.id)},
            to,
        )


#: The auditor the marketplace lists (MarketplaceSettings.auditors, as "auditor").
AUDITOR = Identity.generate()


@dataclass
class Stack:
    node: InProcessNode
    market: MarketplaceService
    bids: BidManagerService
    market_url: str
    bids_url: str
    inbox_url: str
    received: list[tuple[str, bytes]]
    queues: tuple[InlineQueue, InlineQueue]
    client: httpx.Client
    operator: Identity  # holds the marketplace's key

    def audit(
        self, contract_id: str, *, reader: Identity | None = None, sender: str = "marketplace"
    ) -> httpx.Response:
        """``GET /audit/{contract_id}`` with a read letter from ``reader`` (the operator)."""
        path = f"/audit/{contract_id}"
        headers = read_credentials(
            path,
            sender=sender,
            identity=reader or self.operator,
            recipient=self.market.key,
            audience="marketplace",
            now_ms=self.node.clock.now_ms(),
        )
        return self.client.get(self.market_url + path, headers=headers)

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

    def asset(self, asset_id: str, kind: str) -> Asset:
        asset = Asset(
            asset_id, kind, self.inbox_url, LedgerAccess(LocalLedger(self.node.runtime)), self.node
        )
        reply = self.post("/register", asset.letter(asset.registration(), self.market.key))
        assert reply.json() == {"success": True}
        return asset

    def opened(self, asset: Asset, path: str) -> list[dict[str, Any]]:
        nonces = MemoryNonceStore()
        return [
            open_letter(
                doc,
                identity=asset.identity,
                audience=asset.asset_id,
                now_ms=self.node.clock.now_ms(),
                nonces=nonces,
                known_key=lambda s: self.market.key.signing,
            ).body
            for where, doc in self.received
            if where == f"/{asset.asset_id}{path}"
        ]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = Path(tmp_path_factory.mktemp("energy"))
    market_socket, bids_socket = bind_listener(), bind_listener()
    received: list[tuple[str, bytes]] = []
    with in_process_node(network="plaza-energy-http") as node:
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
            settings=MarketplaceSettings(auditors={"auditor": ModuleKey.of(AUDITOR)}),
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
            ThreadedServer(bids.app, listener=bids_socket) as bids_server,
            ThreadedServer(inbox_app(received)) as inbox,
            httpx.Client(timeout=10.0) as client,
        ):
            yield Stack(
                node,
                market,
                bids,
                market_server.url,
                bids_server.url,
                inbox.url,
                received,
                queues,
                client,
                load_or_create(root / "marketplace" / "marketplace.key").identity,
            )
        market.close()
        bids.close()
        link.close()


def test_health_and_docs(stack: Stack) -> None:
    for url in (stack.market_url, stack.bids_url):
        assert stack.client.get(url + "/health").json() == {"success": True}
        assert stack.client.get(url + "/openapi.json").status_code == 200


def test_an_offer_and_a_request_become_a_contract_for_both_assets(stack: Stack) -> None:
    provider = stack.asset("solar-http", "provider")
    consumer = stack.asset("ev-http", "consumer")
    offer, request = provider.new("o-http", 1000, 10), consumer.new("r-http", 400, 12)
    assert stack.post("/offer", provider.intake(offer, stack.market.key)).status_code == 200
    assert stack.post("/request", consumer.intake(request, stack.market.key)).status_code == 200
    stack.deliver()
    contracts = [stack.opened(asset, "/contract") for asset in (provider, consumer)]
    assert [len(bodies) for bodies in contracts] == [1, 1]
    message = contracts[0][0]["contract"]["message"]
    assert message == contracts[1][0]["contract"]["message"]
    contract_id = message["contractId"]
    assert stack.bids.statistics()["matches"] >= 1
    stack.node.milestone()
    audit = stack.audit(contract_id).json()
    assert audit["success"] is True
    assert audit["ok"] is True, audit
    assert stack.audit(contract_id, reader=AUDITOR, sender="auditor").json() == audit
    assert "twin" not in str(audit["contract"]["entries"][0]["state"].keys())


@pytest.mark.parametrize(
    ("path", "content", "status", "code"),
    [
        ("/offer", b"not json", 400, "invalid_message"),
        ("/offer", b"[1, 2]", 400, "invalid_message"),
        ("/offer", b'{"encrypted": "%%%"}', 400, "invalid_message"),
        ("/offer", b"{}", 400, "invalid_message"),
        ("/match", b'{"encrypted": "AAAA"}', 401, "not_authenticated"),
        ("/register", b"x" * (300 * 1024), 400, "invalid_message"),
    ],
)
def test_malformed_bodies_are_refused(
    stack: Stack, path: str, content: bytes, status: int, code: str
) -> None:
    before = stack.market.statistics()
    reply = stack.post(path, content)
    assert (reply.status_code, reply.json()["success"], reply.json()["code"]) == (
        status,
        False,
        code,
    )
    assert stack.market.statistics() == before


def test_letters_from_the_wrong_keys_are_refused(stack: Stack) -> None:
    before = stack.market.statistics()
    stranger = Asset(
        "nobody",
        "provider",
        stack.inbox_url,
        LedgerAccess(LocalLedger(stack.node.runtime)),
        stack.node,
    )
    offer = stranger.new("o-nobody", 100, 1)
    reply = stack.post("/offer", stranger.intake(offer, stack.market.key))
    assert (reply.status_code, reply.json()["code"]) == (401, "not_authenticated")
    sealed_elsewhere = stranger.letter({"asset": {}}, ModuleKey.of(Identity.generate()))
    reply = stack.post("/register", sealed_elsewhere)
    assert (reply.status_code, reply.json()["code"]) == (401, "not_authenticated")
    forged_match = seal_letter(
        {"offer": {}, "request": {}},
        sender="bidmanager",
        identity=stranger.identity,
        recipient=stack.market.key,
        audience="marketplace",
        now_ms=stack.node.clock.now_ms(),
    )
    reply = stack.post("/match", forged_match)
    assert (reply.status_code, reply.json()["code"]) == (401, "not_authenticated")
    assert stack.market.statistics() == before


def test_a_consumer_cannot_confirm_over_http(stack: Stack) -> None:
    provider = stack.asset("solar-2", "provider")
    consumer = stack.asset("ev-2", "consumer")
    offer, request = provider.new("o-2", 500, 10), consumer.new("r-2", 500, 10)
    stack.post("/offer", provider.intake(offer, stack.market.key))
    stack.post("/request", consumer.intake(request, stack.market.key))
    stack.deliver()
    (contract,) = stack.opened(consumer, "/contract")
    terms = Transaction.from_json(contract["contract"]["message"]["transaction"])
    confirmed = terms.with_status(
        TransactionStatus.PAYMENT_CONFIRMED, timestamp_ms=stack.node.clock.now_ms()
    )
    before = stack.market.statistics()
    reply = stack.post(
        "/payment_confirmation",
        consumer.letter({"transaction": confirmed.to_json()}, stack.market.key),
    )
    assert (reply.status_code, reply.json()["code"]) == (403, "forbidden")
    assert stack.market.statistics() == before


def test_audit_refusals(stack: Stack) -> None:
    reply = stack.audit("c-unknown")
    assert (reply.status_code, reply.json()["code"]) == (404, "not_found")
    reply = stack.client.get(f"{stack.market_url}/audit/bad%20id")
    assert (reply.status_code, reply.json()["code"]) == (400, "invalid_message")


def test_the_audit_is_read_by_the_operator_and_listed_auditors_alone(stack: Stack) -> None:
    """Read access is granted, never assumed (issue 16, item 5): a contract's twins,
    decrypted, go to the marketplace's operator and its listed auditors."""
    path = "/audit/c-unknown"
    anonymous = stack.client.get(stack.market_url + path)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    stranger = stack.audit("c-unknown", reader=Identity.generate(), sender="auditor")
    assert (stranger.status_code, stranger.json()["code"]) == (401, "not_authenticated")
    unlisted = stack.audit("c-unknown", reader=AUDITOR, sender="someone")
    assert unlisted.status_code == 401
    elsewhere = stack.audit("c-other")  # a letter for another contract's audit
    letter = elsewhere.request.headers[READ_HEADER]
    moved = stack.client.get(stack.market_url + path, headers={READ_HEADER: letter})
    assert (moved.status_code, moved.json()["code"]) == (401, "not_authenticated")
    assert stack.audit("c-unknown", reader=AUDITOR, sender="auditor").status_code == 404
    granted = stack.audit("c-unknown")
    assert (granted.status_code, granted.json()["code"]) == (404, "not_found")
    replayed = stack.client.get(stack.market_url + path, headers=dict(granted.request.headers))
    assert (replayed.status_code, replayed.json()["code"]) == (401, "not_authenticated")
