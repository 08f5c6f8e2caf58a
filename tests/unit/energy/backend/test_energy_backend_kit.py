"""The cast of the marketplace and bid manager tests: an in-process node, assets that keep
their own twins and seal their own letters, a recording link, and a marketplace built over
memory adapters (:class:`Kept`: its identity, database, twin cursors and seen nonces, which
a restart keeps as its files would).

Shared by ``test_energy_backend_*`` and ``test_energy_bidmanager_*``; the tests at the
bottom check the kit itself, so a broken helper fails here first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from plaza.adapters.ledger.local import LocalLedger
from plaza.api.energy import BidManagerService, MarketplaceService
from plaza.bootstrap.energy_wiring import build_bidmanager, build_marketplace
from plaza.channels import MemoryCursorStore
from plaza.crypto import Identity
from plaza.energy.backend import MarketplaceSettings, seed_bid
from plaza.energy.backend.memory import MemoryMarketplaceStore
from plaza.energy.bidmanager.memory import MemoryBidStore
from plaza.energy.envelope import Letter, ModuleKey, open_letter, seal_letter
from plaza.energy.ledger import LedgerAccess
from plaza.energy.model import AssetType, Transaction, TransactionStatus, TransactionType
from plaza.energy.peers import Peer
from plaza.energy.twins import Twins, parse_reader_key, read_twin
from plaza.jobs import InlineQueue, Worker
from plaza.ledger.model import Output, TransferPayload
from plaza.market import MemoryBookStore
from plaza.market.auth import MemoryNonceStore
from plaza.market.matching import policy_named
from plaza.market.payments.service import DeviceAccount, LedgerPayments
from plaza.market.settlement import Contract as SettlementContract
from plaza.market.twins.records import MemoryTwinIndex
from plaza.testing import FakeClock
from plaza.testing.nodes import InProcessNode, in_process_node

BIDMANAGER_URL = "http://bidmanager.test"


@dataclass
class Post:
    url: str
    path: str
    document: bytes


@dataclass
class RecordingLink:
    """A letters ``Link`` that keeps every post; ``routes`` may answer some."""

    posts: list[Post] = field(default_factory=list)
    routes: dict[str, Callable[[str, bytes], Mapping[str, Any]]] = field(default_factory=dict)

    def post(self, url: str, path: str, document: bytes) -> dict[str, Any]:
        self.posts.append(Post(url, path, document))
        route = self.routes.get(url)
        return {"success": True, **(route(path, document) if route else {})}

    def to(self, url: str, path: str | None = None) -> list[Post]:
        return [p for p in self.posts if p.url == url and (path is None or p.path == path)]


class FakeAsset:
    """An asset module reduced to what the marketplace sees: keys, a wallet, twins, letters."""

    def __init__(
        self, asset_id: str, kind: AssetType, *, ledger: LedgerAccess, clock: FakeClock
    ) -> None:
        self.asset_id = asset_id
        self.kind = kind
        self.identity = Identity.generate()
        self.wallet_key = Identity.generate()  # pays: its address is the asset's wallet
        self.wallet = str(self.wallet_key.address)
        self.url = f"http://{asset_id}.test"
        self.clock = clock
        self.twins = Twins(
            identity=self.identity,
            gateway=ledger.ledger,
            cursors=MemoryCursorStore(),
            index=MemoryTwinIndex(),
            clock=clock,
        )
        self._nonces = MemoryNonceStore()
        self._count = 0

    @property
    def side(self) -> TransactionType:
        return self.kind.side

    def registration(self, **changes: Any) -> dict[str, Any]:
        asset = {
            "assetId": self.asset_id,
            "assetName": f"{self.asset_id} device",
            "assetDescription": "test",
            "type": str(self.kind),
            "location": "Berlin",
            "url": self.url,
            "publicKey": ModuleKey.of(self.identity).to_text(),
            "walletAddress": self.wallet,
            "assetOwner": "owner-1",
        }
        return {"asset": {**asset, **changes}}

    def letter(
        self,
        body: Mapping[str, Any],
        to: ModuleKey,
        *,
        audience: str = "marketplace",
        sender: str | None = None,
    ) -> bytes:
        return seal_letter(
            body,
            sender=sender or self.asset_id,
            identity=self.identity,
            recipient=to,
            audience=audience,
            now_ms=self.clock.now_ms(),
        )

    def new(
        self,
        energy: int = 500,
        price: int = 10,
        *,
        side: TransactionType | None = None,
        **changes: Any,
    ) -> Transaction:
        """A fresh initial offer or request (``side`` overrides the asset's), on its own twin."""
        self._count += 1
        tx_id = f"{self.asset_id}-t{self._count}"
        side = side or self.side
        ids = (
            {
                "providerId": self.asset_id,
                "providerTransactionId": tx_id,
                "walletAddress": self.wallet,
            }
            if side is TransactionType.OFFER
            else {
                "requesterId": self.asset_id,
                "requesterTransactionId": tx_id,
                "requesterWalletAddress": self.wallet,
            }
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
            timestamp=str(self.clock.now_ms()),
            location="Berlin",
            **{**ids, **changes},
        )
        self.twins.record(transaction.id, transaction.to_json())
        return transaction

    def intake(self, transaction: Transaction, to: ModuleKey) -> bytes:
        body = {"transaction": transaction.to_json(), "twin": self.twins.reader_key(transaction.id)}
        return self.letter(body, to)

    def step(
        self, record_id: str, transaction: Transaction, to: ModuleKey, *, on_twin: bool = True
    ) -> bytes:
        """A settlement letter; the state goes on the asset's twin first, as the asset does."""
        if on_twin:
            self.twins.record(record_id, transaction.to_json())
        return self.letter({"transaction": transaction.to_json()}, to)

    def open(self, document: bytes, marketplace: ModuleKey) -> Letter:
        return open_letter(
            document,
            identity=self.identity,
            audience=self.asset_id,
            now_ms=self.clock.now_ms(),
            nonces=self._nonces,
            known_key=lambda s: marketplace.signing if s == "marketplace" else None,
        )


class KeptCursors(MemoryCursorStore):
    """Twin cursors in memory that a restart keeps, as the marketplace's file keeps them."""

    def close(self) -> None:
        """Kept for the marketplace's next opening."""


@dataclass
class Kept:
    """What a marketplace keeps across a restart: its identity and its memory adapters."""

    identity: Identity = field(default_factory=Identity.generate)
    store: MemoryMarketplaceStore = field(default_factory=MemoryMarketplaceStore)
    cursors: KeptCursors = field(default_factory=KeptCursors)
    nonces: MemoryNonceStore = field(default_factory=MemoryNonceStore)

    def open(
        self,
        *,
        ledger: LedgerAccess,
        link: Any,
        queue: InlineQueue,
        clock: FakeClock,
        bidmanager_key: ModuleKey,
        settings: MarketplaceSettings | None = None,
        user_module: Peer | None = None,
    ) -> MarketplaceService:
        """The marketplace over what it keeps (opened again: a restart)."""
        return build_marketplace(
            self.identity,
            store=self.store,
            cursors=self.cursors,
            nonces=self.nonces,
            ledger=ledger,
            link=link,
            queue=queue,
            clock=clock,
            bidmanager=Peer(BIDMANAGER_URL, bidmanager_key),
            settings=settings,
            user_module=user_module,
        )


@dataclass
class KeptBids:
    """What a bid manager keeps across a restart: its identity and its memory adapters."""

    identity: Identity = field(default_factory=Identity.generate)
    store: MemoryBidStore = field(default_factory=MemoryBidStore)
    journal: MemoryBookStore = field(default_factory=MemoryBookStore)
    nonces: MemoryNonceStore = field(default_factory=MemoryNonceStore)

    def open(
        self,
        *,
        link: Any,
        queue: InlineQueue,
        clock: FakeClock,
        marketplace: Peer,
        policy: str = "one_to_one",
    ) -> BidManagerService:
        """The bid manager over what it keeps, its book rebuilt (opened again: a restart)."""
        return build_bidmanager(
            self.identity,
            store=self.store,
            journal=self.journal,
            nonces=self.nonces,
            link=link,
            queue=queue,
            clock=clock,
            marketplace=marketplace,
            policy=policy_named(policy),
        )


@dataclass
class World:
    node: InProcessNode
    ledger: LedgerAccess
    clock: FakeClock
    link: RecordingLink
    queue: InlineQueue
    market: MarketplaceService
    bidmanager: Identity  # plays the bid manager: its key is the one the marketplace trusts
    kept: Kept
    assets: dict[str, FakeAsset] = field(default_factory=dict)

    def reopen(self, *, ledger: LedgerAccess | None = None) -> None:
        """Close the marketplace and open it again over what it keeps (a restart), maybe on
        another ledger."""
        self.market.close()
        self.ledger = ledger or self.ledger
        self.market = self.kept.open(
            ledger=self.ledger,
            link=self.link,
            queue=self.queue,
            clock=self.clock,
            bidmanager_key=ModuleKey.of(self.bidmanager),
        )

    @property
    def key(self) -> ModuleKey:
        return self.market.key

    def deliver(self) -> int:
        return Worker(self.queue, self.market.handlers()).run_until_idle()

    def asset(self, asset_id: str, kind: AssetType, *, register: bool = True) -> FakeAsset:
        asset = FakeAsset(asset_id, kind, ledger=self.ledger, clock=self.clock)
        self.assets[asset_id] = asset
        if register:
            self.market.marketplace.register(asset.letter(asset.registration(), self.key))
        return asset

    def match_letter(self, offer: Transaction, request: Transaction, **extra: Any) -> bytes:
        body = {"offer": seed_bid(offer), "request": seed_bid(request), **extra}
        return seal_letter(
            body,
            sender="bidmanager",
            identity=self.bidmanager,
            recipient=self.key,
            audience="marketplace",
            now_ms=self.clock.now_ms(),
        )

    def pay(self, consumer: FakeAsset, terms: Transaction) -> str:
        """The consumer pays the contract of ``terms`` on the ledger (funded by the treasury,
        confirmed by a milestone), as its asset module would: the payment's message id."""
        ledger = self.ledger.ledger
        payload = TransferPayload((Output(consumer.wallet_key.address.raw, 10 * terms.value),))
        ledger.submit(ledger.compose(self.node.treasury, payload).raw)
        self.node.milestone()
        payments = LedgerPayments(ledger, [DeviceAccount(consumer.wallet_key.signing)])
        contract = SettlementContract(
            terms.contractId, terms.walletAddress, consumer.wallet, terms.value, 1, 0
        )
        payment = payments.prepare(contract)
        payments.submit(payment)
        self.node.milestone()
        return payment.message_id.hex()

    def letters_to(self, asset: FakeAsset, path: str) -> list[dict[str, Any]]:
        """Bodies of the letters the marketplace sent to an asset on ``path``, oldest first."""
        return [asset.open(post.document, self.key).body for post in self.link.to(asset.url, path)]

    def bids(self, path: str) -> list[dict[str, Any]]:
        """Bodies of the letters to the bid manager on ``path``."""
        nonces = MemoryNonceStore()
        return [
            open_letter(
                post.document,
                identity=self.bidmanager,
                audience="bidmanager",
                now_ms=self.clock.now_ms(),
                nonces=nonces,
                known_key=lambda s: self.key.signing,
            ).body
            for post in self.link.to(BIDMANAGER_URL, path)
        ]


@pytest.fixture
def node() -> Iterator[InProcessNode]:
    with in_process_node(network="plaza-energy-backend-test") as running:
        yield running


def build_world(
    node: InProcessNode, kept: Kept | None = None, settings: MarketplaceSettings | None = None
) -> World:
    """A marketplace over ``kept`` (fresh ones if None) and everything around it."""
    kept = kept or Kept()
    ledger = LedgerAccess(LocalLedger(node.runtime))
    bidmanager = Identity.generate()
    link = RecordingLink()
    queue = InlineQueue(node.clock)
    market = kept.open(
        ledger=ledger,
        link=link,
        queue=queue,
        clock=node.clock,
        bidmanager_key=ModuleKey.of(bidmanager),
        settings=settings,
    )
    return World(node, ledger, node.clock, link, queue, market, bidmanager, kept)


@pytest.fixture
def world(node: InProcessNode) -> Iterator[World]:
    built = build_world(node)
    try:
        yield built
    finally:
        built.market.close()


def contracted(world: World, energy: int = 400) -> tuple[FakeAsset, FakeAsset, str]:
    """A provider and a consumer with a contract between them; its id."""
    provider = world.asset("solar", AssetType.PROVIDER)
    consumer = world.asset("ev", AssetType.CONSUMER)
    offer = provider.new(1000, 10)
    request = consumer.new(energy, 12)
    world.market.marketplace.offer(provider.intake(offer, world.key))
    world.market.marketplace.request(consumer.intake(request, world.key))
    reply = world.market.marketplace.match(world.match_letter(offer, request))
    world.deliver()
    return provider, consumer, str(reply["contractId"])


def contract_transaction(world: World, asset: FakeAsset) -> Transaction:
    """The contract transaction as the asset received it in ``/contract``."""
    (body,) = world.letters_to(asset, "/contract")
    return Transaction.from_json(body["contract"]["message"]["transaction"])


# -- the kit's own checks -------------------------------------------------------------


def test_a_fake_asset_twin_holds_its_transaction(world: World) -> None:
    provider = world.asset("solar", AssetType.PROVIDER, register=False)
    offer = provider.new(300, 7)
    entries, problems = read_twin(
        world.ledger.ledger,
        parse_reader_key(provider.twins.reader_key(offer.id)),
        provider.identity.public_key,
        world.ledger.confirmed,
    )
    assert problems == []
    assert [Transaction.from_json(e.state) for e in entries] == [offer]


def test_the_recording_link_keeps_posts_and_answers_routes() -> None:
    link = RecordingLink(routes={"http://a": lambda path, doc: {"echo": json.loads(doc)["x"]}})
    assert link.post("http://a", "/p", b'{"x": 1}') == {"success": True, "echo": 1}
    assert link.post("http://b", "/q", b"{}") == {"success": True}
    assert [p.path for p in link.to("http://a")] == ["/p"]
