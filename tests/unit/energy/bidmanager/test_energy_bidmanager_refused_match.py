"""A ``/match`` the marketplace refuses: the bids its details name dead are closed, the other
goes back on the book and meets a new counterpart; the refused pair is never matched again.

First against a stand-in marketplace that refuses chosen pairs with the marketplace's
reasons and details (the outbox gets ``PeerFailed(refused=True, details=...)``), then
against the real one, whose refusal of a match of a request cancelled meanwhile names that
request dead. The wording of a refusal is never read: without details, both bids go back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from test_energy_backend_kit import FakeAsset, Kept, KeptBids

from plaza.adapters.ledger.local import LocalLedger
from plaza.api.energy import BidManagerService, MarketplaceService
from plaza.crypto import Identity
from plaza.energy.backend import contract_id_for
from plaza.energy.envelope import ModuleKey, open_letter, seal_letter
from plaza.energy.errors import EnergyError, PeerFailed
from plaza.energy.ledger import LedgerAccess
from plaza.energy.model import AssetType, TransactionStatus
from plaza.energy.peers import Peer
from plaza.jobs import InlineQueue, Worker
from plaza.market.auth import MemoryNonceStore
from plaza.testing import FakeClock
from plaza.testing.nodes import InProcessNode, in_process_node

MARKETPLACE_URL = "http://marketplace.test"
BIDMANAGER_URL = "http://bidmanager.test"
NEITHER = "the marketplace could not make this contract"  # a refusal without details

Pair = tuple[str, str]

#: The bid manager's log when a refusal of (o1, r1) names neither bid: both go back.
BOTH_BACK = [
    ("offer:o1", "ok", "back on the book: its match with request:r1 was refused"),
    ("request:r1", "ok", "back on the book: its match with offer:o1 was refused"),
]


@dataclass(frozen=True)
class Refuse:
    """How the stand-in refuses a pair: its reason, and the bids its details name dead
    (no details at all when ``dead`` is empty)."""

    reason: str
    dead: tuple[str, ...] = ()


@dataclass
class StandInMarketplace:
    """A :class:`~plaza.market.auth.outbox.Link` playing the marketplace: it opens every ``/match``
    and refuses the pairs in ``refuse`` as told, as the real one answers."""

    identity: Identity = field(default_factory=Identity.generate)
    refuse: dict[Pair, Refuse] = field(default_factory=dict)
    bidmanager: ModuleKey | None = None
    matches: list[Pair] = field(default_factory=list)
    nonces: MemoryNonceStore = field(default_factory=MemoryNonceStore)
    clock: FakeClock = field(default_factory=FakeClock)

    def post(self, url: str, path: str, document: bytes) -> dict[str, Any]:
        assert (url, path) == (MARKETPLACE_URL, "/match")
        assert self.bidmanager is not None
        signing = self.bidmanager.signing
        body = open_letter(
            document,
            identity=self.identity,
            audience="marketplace",
            now_ms=self.clock.now_ms(),
            nonces=self.nonces,
            known_key=lambda sender: signing,
        ).body
        pair = (body["offer"]["providerTransactionId"], body["request"]["requesterTransactionId"])
        self.matches.append(pair)
        if pair in self.refuse:
            refusal = self.refuse[pair]
            details = {"dead": list(refusal.dead)} if refusal.dead else {}
            raise PeerFailed(url, path, refusal.reason, refused=True, details=details)
        return {"success": True, "contractId": "c-" + "-".join(pair)}


class Desk:
    """A bid manager (one-to-one, over memory adapters) and the stand-in marketplace it
    sends to."""

    def __init__(self) -> None:
        self.marketplace = StandInMarketplace()
        self.clock = self.marketplace.clock
        self.queue = InlineQueue(self.clock)
        self.service: BidManagerService = KeptBids().open(
            link=self.marketplace,
            queue=self.queue,
            clock=self.clock,
            marketplace=Peer(MARKETPLACE_URL, ModuleKey.of(self.marketplace.identity)),
        )
        self.marketplace.bidmanager = self.service.key

    def letter(self, body: dict[str, Any]) -> bytes:
        return seal_letter(
            body,
            sender="marketplace",
            identity=self.marketplace.identity,
            recipient=self.service.key,
            audience="bidmanager",
            now_ms=self.clock.now_ms(),
        )

    def offer(self, asset: str, tx_id: str, energy: int, price: int) -> None:
        self.service.bidmanager.offer(
            self.letter(
                {
                    "providerId": asset,
                    "providerTransactionId": tx_id,
                    "energyAmount": energy,
                    "energyPrice": price,
                    "type": "offer",
                    "walletAddress": f"wallet-{asset}",
                    "timestamp": str(self.clock.now_ms()),
                    "additionalDetails": "",
                }
            )
        )
        self.clock.advance(ms=10)

    def request(self, asset: str, tx_id: str, energy: int, price: int) -> None:
        self.service.bidmanager.request(
            self.letter(
                {
                    "requesterId": asset,
                    "requesterTransactionId": tx_id,
                    "energyAmount": energy,
                    "energyPrice": price,
                    "type": "request",
                    "timestamp": str(self.clock.now_ms()),
                    "additionalDetails": "",
                }
            )
        )
        self.clock.advance(ms=10)

    def remove(self, body: dict[str, Any]) -> None:
        self.service.bidmanager.remove(self.letter(body))

    def deliver(self) -> list[Pair]:
        """Deliver every queued letter; every pair the marketplace was sent so far."""
        Worker(self.queue, self.service.handlers()).run_until_idle()
        return self.marketplace.matches

    def stats(self, *names: str) -> tuple[int, ...]:
        counts = self.service.statistics()
        return tuple(counts[name] for name in names)

    def logged(self, operation: str) -> list[tuple[str, str, str]]:
        return [
            (entry["record_id"], entry["outcome"], entry["detail"])
            for entry in reversed(self.service.log_entries())
            if entry["operation"] == operation
        ]


@pytest.fixture
def desk() -> Iterator[Desk]:
    made = Desk()
    yield made
    made.service.close()
    made.queue.close()


def test_the_live_offer_of_a_refused_match_meets_a_new_request(desk: Desk) -> None:
    reason = "request:r1 is no longer open (cancelled)"
    desk.marketplace.refuse[("o1", "r1")] = Refuse(reason, ("request:r1",))
    desk.offer("solar", "o1", 1000, 10)
    desk.request("ev", "r1", 400, 12)
    assert desk.deliver() == [("o1", "r1")]
    assert desk.stats("open", "closed", "contracted", "book_offers", "book_requests") == (
        1,
        1,
        0,
        1,
        0,
    )
    assert desk.stats("refused_matches") == (1,)
    assert desk.logged("match_refused") == [("offer:o1|request:r1", "refused", reason)]
    assert desk.logged("deliver") == [(MARKETPLACE_URL + "/match", "refused", reason)]
    assert [record for record, _, _ in desk.logged("requeue")] == ["offer:o1"]
    assert desk.logged("closed") == [("request:r1", "ok", f"match refused: {reason}")]

    desk.request("ev2", "r2", 300, 11)
    assert desk.deliver() == [("o1", "r1"), ("o1", "r2")]
    assert desk.stats("contracted", "matches", "book_offers") == (2, 2, 0)


def test_the_request_of_an_excluded_consumer_closes_and_the_offer_goes_on(desk: Desk) -> None:
    desk.marketplace.refuse[("o1", "r1")] = Refuse(
        "'ev' is excluded after 1 claims", ("request:r1",)
    )
    desk.request("ev", "r1", 400, 12)
    desk.offer("solar", "o1", 1000, 10)
    assert desk.deliver() == [("o1", "r1")]
    desk.request("ev2", "r2", 400, 12)
    assert desk.deliver() == [("o1", "r1"), ("o1", "r2")]
    assert desk.stats("closed", "contracted", "book_offers", "book_requests") == (1, 2, 0, 0)


def test_the_live_request_of_a_refused_match_meets_a_new_offer(desk: Desk) -> None:
    desk.marketplace.refuse[("o1", "r1")] = Refuse("no offer 'o1'", ("offer:o1",))
    desk.offer("solar", "o1", 1000, 10)
    desk.request("ev", "r1", 400, 12)
    assert desk.deliver() == [("o1", "r1")]
    desk.offer("wind", "o2", 500, 12)
    assert desk.deliver() == [("o1", "r1"), ("o2", "r1")]
    assert desk.stats("closed", "contracted") == (1, 2)


def test_a_pair_refused_for_a_reason_naming_neither_bid_is_never_matched_again(
    desk: Desk,
) -> None:
    desk.marketplace.refuse[("o1", "r1")] = Refuse(NEITHER)
    desk.offer("solar", "o1", 1000, 10)
    desk.request("ev", "r1", 400, 12)
    # both go back on the book and meet again: the pair is not sent twice, nor forever
    assert desk.deliver() == [("o1", "r1")]
    assert desk.stats("open", "closed", "book_offers", "book_requests") == (1, 1, 1, 0)
    assert ("offer:o1|request:r1", "skipped", "the marketplace refused this pair before") in (
        desk.logged("match")
    )
    desk.request("ev2", "r2", 400, 12)
    assert desk.deliver() == [("o1", "r1"), ("o1", "r2")]
    assert desk.stats("contracted", "refused_matches") == (2, 1)


def test_the_wording_of_a_refusal_without_details_is_not_read(desk: Desk) -> None:
    # the reason names the request, but no details do: both bids go back, as for NEITHER
    desk.marketplace.refuse[("o1", "r1")] = Refuse("request:r1 is no longer open (cancelled)")
    desk.offer("solar", "o1", 1000, 10)
    desk.request("ev", "r1", 400, 12)
    assert desk.deliver() == [("o1", "r1")]
    assert desk.logged("requeue") == [
        *BOTH_BACK,
        ("offer:o1", "ok", "its counterpart request:r1 was refused with it before"),
    ]
    # they met again: the remembered pair is not sent, the request closes, the offer goes on
    assert desk.stats("open", "closed", "book_offers", "book_requests") == (1, 1, 1, 0)
    assert desk.logged("closed") == [
        ("request:r1", "ok", "the marketplace refused its match with offer:o1 before")
    ]


def test_a_refusal_naming_both_bids_dead_closes_both(desk: Desk) -> None:
    reason = "offer:o1 is no longer open (cancelled); no request 'r1'"
    desk.marketplace.refuse[("o1", "r1")] = Refuse(reason, ("offer:o1", "request:r1"))
    desk.offer("solar", "o1", 1000, 10)
    desk.request("ev", "r1", 400, 12)
    assert desk.deliver() == [("o1", "r1")]
    assert desk.stats("open", "closed", "book_offers", "book_requests") == (0, 2, 0, 0)
    assert desk.logged("requeue") == []
    assert sorted(desk.logged("closed")) == [
        ("offer:o1", "ok", f"match refused: {reason}"),
        ("request:r1", "ok", f"match refused: {reason}"),
    ]


def test_dead_names_of_other_bids_are_ignored(desk: Desk) -> None:
    desk.marketplace.refuse[("o1", "r1")] = Refuse("gone", ("offer:o9", "request:r9"))
    desk.offer("solar", "o1", 1000, 10)
    desk.request("ev", "r1", 400, 12)
    assert desk.deliver() == [("o1", "r1")]
    assert desk.logged("requeue")[:2] == BOTH_BACK
    assert desk.stats("closed", "refused_matches") == (1, 1)  # the request, on meeting again


def test_a_bid_removed_while_its_match_was_on_its_way_stays_off_the_book(desk: Desk) -> None:
    desk.marketplace.refuse[("o1", "r1")] = Refuse(NEITHER)
    desk.offer("solar", "o1", 1000, 10)
    desk.request("ev", "r1", 400, 12)  # the /match is queued, not delivered yet
    desk.remove({"type": "offer", "providerTransactionId": "o1"})
    assert desk.stats("removed", "contracted") == (1, 1)
    assert desk.deliver() == [("o1", "r1")]
    assert desk.stats("removed", "open", "book_requests", "book_offers") == (1, 1, 1, 0)
    desk.offer("wind", "o2", 400, 12)
    assert desk.deliver() == [("o1", "r1"), ("o2", "r1")]


def test_a_bid_refused_after_its_window_ended_closes_instead_of_going_back(desk: Desk) -> None:
    desk.marketplace.refuse[("o1", "r1")] = Refuse(NEITHER)
    desk.offer("solar", "o1", 1000, 10)
    desk.request("ev", "r1", 400, 12)
    desk.clock.advance(seconds=25 * 3600)  # the /match is refused after both bids' windows
    assert desk.deliver() == [("o1", "r1")]
    assert desk.stats("open", "closed", "contracted", "book_orders") == (0, 2, 0, 2)
    assert [record for record, _, _ in desk.logged("requeue")] == ["offer:o1", "request:r1"]
    assert [record for record, _, _ in desk.logged("closed")] == ["offer:o1", "request:r1"]
    assert all("validity window" in detail for _, _, detail in desk.logged("closed"))


def test_a_refusal_handled_twice_changes_nothing(desk: Desk) -> None:
    reason = "offer:o1 is no longer open (cancelled)"
    desk.marketplace.refuse[("o1", "r1")] = Refuse(reason, ("offer:o1",))
    desk.offer("solar", "o1", 1000, 10)
    desk.request("ev", "r1", 400, 12)
    desk.deliver()
    stats = desk.service.statistics()
    body = {
        "offer": {"providerTransactionId": "o1"},
        "request": {"requesterTransactionId": "r1"},
    }
    bidmanager = desk.service.bidmanager
    bidmanager.match_refused(body, reason, details={"dead": ["offer:o1"]})
    bidmanager.match_refused(body, reason)  # without details: still nothing to do
    bidmanager.match_refused({"offer": "?"}, reason)  # not a pair: only logged
    assert desk.service.statistics() == stats
    assert desk.logged("match_refused")[-1][1] == "skipped"


# --- against the real marketplace ---------------------------------------------------


@dataclass
class Bridge:
    """A link between a real marketplace and a real bid manager; letters to assets are kept."""

    market: MarketplaceService | None = None
    bids: BidManagerService | None = None
    refusals: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    contracts: list[str] = field(default_factory=list)

    def post(self, url: str, path: str, document: bytes) -> dict[str, Any]:
        assert self.market is not None
        assert self.bids is not None
        routes: dict[tuple[str, str], Callable[[bytes], Any]] = {
            (MARKETPLACE_URL, "/match"): self.market.marketplace.match,
            (BIDMANAGER_URL, "/offer"): self.bids.bidmanager.offer,
            (BIDMANAGER_URL, "/request"): self.bids.bidmanager.request,
            (BIDMANAGER_URL, "/remove"): self.bids.bidmanager.remove,
        }
        route = routes.get((url, path))
        if route is None:
            return {"success": True}
        try:
            reply = {"success": True, **route(document)}
        except EnergyError as error:  # what HttpLink makes of the module's refusal reply
            self.refusals.append((error.message, dict(error.details)))
            raise PeerFailed(
                url, path, error.message, refused=True, details=error.details
            ) from None
        if path == "/match":
            self.contracts.append(reply["contractId"])
        return reply


@pytest.fixture
def node() -> Iterator[InProcessNode]:
    with in_process_node(network="plaza-energy-refused-match") as running:
        yield running


def test_the_real_marketplace_refusal_of_a_cancelled_request_frees_its_offer(
    node: InProcessNode,
) -> None:
    ledger = LedgerAccess(LocalLedger(node.runtime))
    bridge = Bridge()
    market_queue, bids_queue = InlineQueue(node.clock), InlineQueue(node.clock)
    kept_bids = KeptBids()
    market = Kept().open(
        ledger=ledger,
        link=bridge,
        queue=market_queue,
        clock=node.clock,
        bidmanager_key=ModuleKey.of(kept_bids.identity),
    )
    bids = kept_bids.open(
        link=bridge,
        queue=bids_queue,
        clock=node.clock,
        marketplace=Peer(MARKETPLACE_URL, market.key),
    )
    bridge.market, bridge.bids = market, bids

    def deliver(queue: InlineQueue, service: MarketplaceService | BidManagerService) -> None:
        Worker(queue, service.handlers()).run_until_idle()

    try:
        assets = {}
        for name, kind in (
            ("solar", AssetType.PROVIDER),
            ("ev", AssetType.CONSUMER),
            ("ev2", AssetType.CONSUMER),
        ):
            assets[name] = FakeAsset(name, kind, ledger=ledger, clock=node.clock)
            market.marketplace.register(
                assets[name].letter(assets[name].registration(), market.key)
            )
        solar, ev, ev2 = assets["solar"], assets["ev"], assets["ev2"]
        offer, request = solar.new(1000, 10), ev.new(400, 12)
        market.marketplace.offer(solar.intake(offer, market.key))
        market.marketplace.request(ev.intake(request, market.key))
        deliver(market_queue, market)  # the bids reach the bid manager: /match is queued
        cancelled = request.with_status(
            TransactionStatus.CANCELLED, timestamp_ms=node.clock.now_ms()
        )
        market.marketplace.settle("/cancel", ev.step(request.id, cancelled, market.key))
        deliver(bids_queue, bids)  # the /match arrives after the cancel: refused
        refusal = (
            f"request:{request.id} is no longer open (cancelled)",
            {"dead": [f"request:{request.id}"]},
        )
        assert bridge.refusals == [refusal]
        assert bids.statistics()["closed"] == 1  # the request, named dead
        deliver(market_queue, market)  # the /remove comes after: nothing more to do
        assert bids.statistics()["book_offers"] == 1

        second = ev2.new(400, 11)
        market.marketplace.request(ev2.intake(second, market.key))
        deliver(market_queue, market)
        deliver(bids_queue, bids)
        assert bridge.refusals == [refusal]
        assert market.statistics()["contracts"] == 1
        assert bids.statistics()["contracted"] == 2
        assert bridge.contracts == [contract_id_for(offer.id, second.id)]
    finally:
        bids.close()
        market.close()
        bids_queue.close()
        market_queue.close()
