"""The bid manager: seed bids on Plaza's order book, matched by the seed's rule or another
policy, and every match turned into seed terms (one offer, one whole request, once).

Real SQLite (the book's journal and the bid manager's tables), a recording link in
place of the marketplace: each ``/match`` letter is opened with the marketplace's key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from test_energy_backend_kit import KeptBids, RecordingLink

from plaza.api.energy import BidManagerService
from plaza.bootstrap.energy_modules import open_bidmanager
from plaza.bootstrap.energy_wiring import DEFAULT_VALIDITY_MS
from plaza.crypto import Identity
from plaza.energy.bidmanager import Bid
from plaza.energy.envelope import ModuleKey, open_letter, seal_letter
from plaza.energy.errors import InvalidMessage, NotAuthenticated, NotConfigured, WrongState
from plaza.energy.model import TransactionType
from plaza.energy.peers import Peer
from plaza.jobs import InlineQueue, Worker
from plaza.market.auth import MemoryNonceStore
from plaza.testing import FakeClock

MARKETPLACE_URL = "http://marketplace.test"


@dataclass
class Desk:
    """A bid manager (over memory adapters it keeps across a restart) and the marketplace
    that talks to it."""

    policy: str
    kept: KeptBids = field(default_factory=KeptBids)
    clock: FakeClock = field(default_factory=FakeClock)
    marketplace: Identity = field(default_factory=Identity.generate)
    link: RecordingLink = field(default_factory=RecordingLink)
    service: BidManagerService | None = None

    def __post_init__(self) -> None:
        self.queue = InlineQueue(self.clock)
        self.open()

    def open(self) -> None:
        self.service = self.kept.open(
            link=self.link,
            queue=self.queue,
            clock=self.clock,
            marketplace=Peer(MARKETPLACE_URL, ModuleKey.of(self.marketplace)),
            policy=self.policy,
        )

    @property
    def running(self) -> BidManagerService:
        assert self.service is not None
        return self.service

    def letter(self, body: dict[str, Any], *, identity: Identity | None = None) -> bytes:
        return seal_letter(
            body,
            sender="marketplace",
            identity=identity or self.marketplace,
            recipient=self.running.key,
            audience="bidmanager",
            now_ms=self.clock.now_ms(),
        )

    def offer(self, asset: str, tx_id: str, energy: int, price: int) -> dict[str, Any]:
        bid = {
            "providerId": asset,
            "providerTransactionId": tx_id,
            "energyAmount": energy,
            "energyPrice": price,
            "type": "offer",
            "walletAddress": f"wallet-{asset}",
            "timestamp": str(self.clock.now_ms()),
            "additionalDetails": "",
        }
        self.running.bidmanager.offer(self.letter(bid))
        self.clock.advance(ms=10)
        return bid

    def request(self, asset: str, tx_id: str, energy: int, price: int) -> dict[str, Any]:
        bid = {
            "requesterId": asset,
            "requesterTransactionId": tx_id,
            "energyAmount": energy,
            "energyPrice": price,
            "type": "request",
            "timestamp": str(self.clock.now_ms()),
            "additionalDetails": "",
        }
        self.running.bidmanager.request(self.letter(bid))
        self.clock.advance(ms=10)
        return bid

    def matches(self) -> list[tuple[str, str]]:
        """(offer id, request id) of every /match sent so far, oldest first."""
        Worker(self.queue, self.running.handlers()).run_until_idle()
        nonces = MemoryNonceStore()
        pairs = []
        for post in self.link.to(MARKETPLACE_URL, "/match"):
            body = open_letter(
                post.document,
                identity=self.marketplace,
                audience="marketplace",
                now_ms=self.clock.now_ms(),
                nonces=nonces,
                known_key=lambda s: self.running.key.signing,
            ).body
            pairs.append(
                (body["offer"]["providerTransactionId"], body["request"]["requesterTransactionId"])
            )
        return pairs


@pytest.fixture
def desk() -> Iterator[Desk]:
    made = Desk("one_to_one")
    yield made
    made.running.close()


def test_a_request_matches_an_offer_by_the_seed_rule(desk: Desk) -> None:
    offer = desk.offer("solar", "o1", 1000, 10)
    request = desk.request("ev", "r1", 400, 12)
    assert desk.matches() == [("o1", "r1")]
    Worker(desk.queue, desk.running.handlers()).run_until_idle()
    (post,) = desk.link.to(MARKETPLACE_URL, "/match")
    body = open_letter(
        post.document,
        identity=desk.marketplace,
        audience="marketplace",
        now_ms=desk.clock.now_ms(),
        nonces=MemoryNonceStore(),
        known_key=lambda s: desk.running.key.signing,
    ).body
    assert body == {"offer": offer, "request": request}  # the seed's bids, as received
    stats = desk.running.statistics()
    assert (stats["contracted"], stats["matches"]) == (2, 1)
    assert (stats["book_offers"], stats["book_requests"]) == (0, 0)  # matched bids leave


@pytest.mark.parametrize(
    ("offered", "requested"),
    [
        ((1000, 12), (400, 10)),  # the offer asks more than the request pays
        ((300, 10), (400, 12)),  # the request wants more than the offer holds
    ],
)
def test_bids_outside_the_seed_rule_do_not_match(
    desk: Desk, offered: tuple[int, int], requested: tuple[int, int]
) -> None:
    desk.offer("solar", "o1", *offered)
    desk.request("ev", "r1", *requested)
    assert desk.matches() == []
    assert desk.running.statistics()["open"] == 2


def test_the_bounds_are_inclusive_and_an_asset_never_matches_itself(desk: Desk) -> None:
    desk.offer("solar", "o1", 400, 12)
    desk.request("solar", "r1", 400, 12)
    assert desk.matches() == []
    desk.request("ev", "r2", 400, 12)
    assert desk.matches() == [("o1", "r2")]


def test_the_oldest_fitting_offer_wins(desk: Desk) -> None:
    desk.offer("solar1", "o1", 1000, 11)
    desk.offer("solar2", "o2", 1000, 5)  # cheaper, but younger
    desk.offer("solar3", "o3", 100, 1)  # too small
    desk.request("ev", "r1", 400, 12)
    assert desk.matches() == [("o1", "r1")]


def test_an_offer_meeting_several_requests_contracts_one_and_requeues_the_rest(
    desk: Desk,
) -> None:
    desk.request("ev1", "r1", 300, 12)
    desk.request("ev2", "r2", 200, 12)
    desk.offer("solar", "o1", 1000, 10)  # one_to_one fills both requests from it at once
    assert desk.matches() == [("o1", "r1")]
    stats = desk.running.statistics()
    assert (stats["open"], stats["book_requests"], stats["book_offers"]) == (1, 1, 0)
    desk.offer("wind", "o2", 500, 9)
    assert desk.matches() == [("o1", "r1"), ("o2", "r2")]


def test_reading_the_journal_again_changes_nothing(desk: Desk) -> None:
    desk.request("ev1", "r1", 300, 12)
    desk.request("ev2", "r2", 200, 12)
    desk.offer("solar", "o1", 1000, 10)
    assert desk.matches() == [("o1", "r1")]
    stats = desk.running.statistics()
    desk.running._store.set_processed(0)  # as if the process died before noting its progress
    desk.running.cycle()
    assert desk.matches() == [("o1", "r1")]
    assert desk.running.statistics() == stats


def test_a_resent_bid_is_one_bid_and_a_changed_one_is_refused(desk: Desk) -> None:
    offer = desk.offer("solar", "o1", 1000, 10)
    desk.running.bidmanager.offer(desk.letter(offer))
    assert desk.running.statistics()["book_orders"] == 1
    with pytest.raises(WrongState):
        desk.running.bidmanager.offer(desk.letter({**offer, "energyPrice": 9}))


def test_a_bid_booked_before_a_crash_but_not_recorded_is_recorded_when_resent(
    desk: Desk,
) -> None:
    offer = {
        "providerId": "solar",
        "providerTransactionId": "o1",
        "energyAmount": 1000,
        "energyPrice": 10,
        "type": "offer",
        "walletAddress": "wallet-solar",
        "timestamp": str(desk.clock.now_ms()),
        "additionalDetails": "",
    }
    booked = Bid.parse(offer, TransactionType.OFFER).new_order(DEFAULT_VALIDITY_MS)
    desk.running.bidmanager.book.submit_order(booked, idempotency_key="offer:o1#0")
    desk.running.bidmanager.offer(desk.letter(offer))  # the marketplace's retry
    stats = desk.running.statistics()
    assert (stats["bids"], stats["open"], stats["book_orders"]) == (1, 1, 1)
    desk.request("ev", "r1", 400, 12)
    assert desk.matches() == [("o1", "r1")]


def test_removed_bids_leave_the_book_even_before_they_arrive(desk: Desk) -> None:
    desk.offer("solar", "o1", 1000, 10)
    remove = desk.running.bidmanager.remove
    remove(desk.letter({"type": "offer", "providerTransactionId": "o1"}))
    remove(desk.letter({"type": "request", "requesterTransactionId": "r-early"}))
    desk.request("ev", "r-early", 100, 20)  # the removal overtook it: it never books
    desk.request("ev", "r2", 100, 20)
    assert desk.matches() == []
    stats = desk.running.statistics()
    assert (stats["removed"], stats["open"], stats["book_orders"]) == (1, 1, 2)


def test_only_the_marketplace_may_send_bids(desk: Desk) -> None:
    bid = {
        "providerId": "solar",
        "providerTransactionId": "o1",
        "energyAmount": 10,
        "energyPrice": 1,
        "type": "offer",
        "walletAddress": "w",
        "timestamp": "1",
        "additionalDetails": "",
    }
    stranger = Identity.generate()
    with pytest.raises(NotAuthenticated):
        desk.running.bidmanager.offer(desk.letter(bid, identity=stranger))
    forged = seal_letter(
        bid,
        sender="solar",
        identity=stranger,
        recipient=desk.running.key,
        audience="bidmanager",
        now_ms=desk.clock.now_ms(),
    )
    with pytest.raises(NotAuthenticated):
        desk.running.bidmanager.offer(forged)
    assert desk.running.statistics()["bids"] == 0
    assert desk.running.log_entries(limit=1)[0]["outcome"] == "refused"


@pytest.mark.parametrize(
    "change",
    [
        {"energyAmount": 1.5},
        {"energyAmount": 0},
        {"energyPrice": -1},
        {"type": "request"},
        {"providerTransactionId": "has space"},
        {"timestamp": "yesterday"},
    ],
)
def test_a_malformed_bid_is_refused_and_changes_nothing(desk: Desk, change: dict[str, Any]) -> None:
    bid = {
        "providerId": "solar",
        "providerTransactionId": "o1",
        "energyAmount": 10,
        "energyPrice": 1,
        "type": "offer",
        "walletAddress": "w",
        "timestamp": str(desk.clock.now_ms()),
        "additionalDetails": "",
        **change,
    }
    with pytest.raises(InvalidMessage):
        desk.running.bidmanager.offer(desk.letter(bid))
    assert desk.running.statistics()["bids"] == 0


def test_old_bids_expire(desk: Desk) -> None:
    desk.offer("solar", "o1", 1000, 10)
    desk.clock.advance(seconds=25 * 3600)
    desk.running.cycle()
    desk.request("ev", "r1", 400, 12)
    assert desk.matches() == []
    assert desk.running.statistics()["closed"] == 1
    stale = {
        "requesterId": "ev",
        "requesterTransactionId": "r0",
        "energyAmount": 1,
        "energyPrice": 1,
        "type": "request",
        "timestamp": "1",
        "additionalDetails": "",
    }
    with pytest.raises(InvalidMessage, match="validity window"):
        desk.running.bidmanager.request(desk.letter(stale))


def test_the_book_survives_a_restart(desk: Desk) -> None:
    desk.offer("solar", "o1", 1000, 10)
    key = desk.running.key
    desk.running.close()
    desk.open()
    assert desk.running.key == key
    desk.request("ev", "r1", 400, 12)
    assert desk.matches() == [("o1", "r1")]


def test_an_unknown_policy_is_refused_at_open_before_any_file(tmp_path: Path) -> None:
    with pytest.raises(NotConfigured, match="no matching policy 'best'"):
        open_bidmanager(
            tmp_path,
            link=RecordingLink(),
            queue=InlineQueue(FakeClock()),
            clock=FakeClock(),
            marketplace_url=MARKETPLACE_URL,
            marketplace_key=ModuleKey.of(Identity.generate()),
            policy="best",
        )
    assert list(tmp_path.iterdir()) == []


def test_a_continuous_auction_closes_requests_it_splits() -> None:
    desk = Desk("cda")
    try:
        desk.offer("solar1", "o1", 200, 10)
        desk.offer("solar2", "o2", 300, 10)
        desk.request("ev", "r1", 500, 12)  # the auction fills it from both offers
        assert desk.matches() == []
        stats = desk.running.statistics()
        assert (stats["closed"], stats["open"], stats["book_offers"]) == (1, 2, 2)
        desk.request("ev2", "r2", 150, 12)  # whole from the oldest requeued offer
        assert desk.matches() == [("o1", "r2")]
        assert desk.running.statistics()["book_offers"] == 1
    finally:
        desk.running.close()


def test_a_uniform_clearing_matches_when_the_cycle_clears() -> None:
    desk = Desk("uniform")
    try:
        desk.offer("solar", "o1", 1000, 10)
        desk.request("ev1", "r1", 400, 14)
        desk.request("ev2", "r2", 300, 12)
        assert desk.matches() == []  # orders wait for the clearing
        desk.running.cycle()
        assert desk.matches() == [("o1", "r1")]
        stats = desk.running.statistics()
        assert (stats["contracted"], stats["open"], stats["book_requests"]) == (2, 1, 1)
        desk.offer("wind", "o2", 300, 11)
        desk.running.cycle()
        assert desk.matches() == [("o1", "r1"), ("o2", "r2")]
    finally:
        desk.running.close()
