"""An energy listing's twin as the web shows it: the offer's states at the marketplace backend,
then its contract's, each with its place on the twin once it is there
(:class:`plaza.bootstrap.web.EnergyTwins`, over the real stores of the four modules)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from energy_stack import energy_flow

from plaza.bootstrap.web import EnergyTwins, PlacedBook, place_of
from plaza.market.model import Location


def test_a_contracted_offer_shows_its_own_states_then_its_contracts(tmp_path: Path) -> None:
    with energy_flow(tmp_path) as flow:
        alice = flow.owner("alice", funds=1_000_000)
        bob = flow.owner("bob", funds=1_000_000)
        flow.device(alice, "solar", "provider", energyPrice=20)
        flow.device(bob, "ev", "consumer", energyPrice=20, maxEnergyPrice=30)
        flow.meter("solar", "/produce", 1_500)
        flow.meter("ev", "/consume", 200)
        flow.settle()
        for _ in range(3):
            flow.round()
        bidmanager = flow.stack.bidmanager.service
        service = flow.stack.marketplace.service
        twins = EnergyTwins(bidmanager.bids, service.records, service.marketplace)
        orders = bidmanager.bidmanager.book.orders()
        [offer] = [order for order in orders if order.side.value == "offer"]
        states = twins.states(offer)
        assert states is not None
        labels = [state.label for state in states]
        assert labels[:2] == ["offer received", "offer sent"]
        assert "contract: match made" in labels
        assert any(state.position is not None for state in states), "some are on the twin"
        assert all(state.position is None for state in states if not state.on_twin)
        assert twins.states(replace(offer, id="ord-999")) is None


def test_verify_reads_every_twin_behind_a_listing_back_from_the_ledger(tmp_path: Path) -> None:
    """Unmatched, a request has its own twin to check; contracted, an offer has three (the
    contract's and both parties'), each read, signed and confirmed, as recorded."""
    with energy_flow(tmp_path) as flow:
        alice = flow.owner("alice", funds=1_000_000)
        bob = flow.owner("bob", funds=1_000_000)
        flow.device(alice, "solar", "provider", energyPrice=20)
        flow.device(bob, "ev", "consumer", energyPrice=20, maxEnergyPrice=30)
        flow.device(bob, "heater", "consumer", energyPrice=5, maxEnergyPrice=5)
        flow.meter("solar", "/produce", 1_500)
        flow.meter("ev", "/consume", 200)
        flow.meter("heater", "/consume", 200)
        flow.settle()
        for _ in range(3):
            flow.round()
        bidmanager = flow.stack.bidmanager.service
        service = flow.stack.marketplace.service
        twins = EnergyTwins(bidmanager.bids, service.records, service.marketplace)
        orders = bidmanager.bidmanager.book.orders()
        [offer] = [order for order in orders if order.side.value == "offer"]
        contracted = twins.verify(offer)
        assert contracted is not None
        assert [check.twin for check in contracted.checks] == [
            "the contract's twin",
            "the offer's twin",
            "the request's twin",
        ]
        assert contracted.ok, contracted
        assert contracted.checks[1].signer == f"asset {offer.owner}"
        assert all(check.states >= 1 for check in contracted.checks)
        assert all(check.confirmed == check.states for check in contracted.checks)
        unmatched = [o for o in orders if o.side.value == "request" and o.unit_price == 5]
        assert unmatched, "the heater's request is under every offer's price"
        alone = twins.verify(unmatched[0])
        assert alone is not None
        [check] = alone.checks
        assert check.twin == "the request's twin"
        assert check.ok, check
        assert check.states >= 1
        assert twins.verify(replace(offer, id="ord-999")) is None


def test_listings_are_placed_where_their_assets_registered(tmp_path: Path) -> None:
    """The seed's bids carry no place; the book the web shows puts each listing where its
    asset's registration says, when that names a point."""
    with energy_flow(tmp_path) as flow:
        alice = flow.owner("alice", funds=1_000_000)
        flow.device(alice, "solar", "provider", location="Trondheim (63.4305, 10.3951)")
        flow.device(alice, "ev", "consumer", energyPrice=5, maxEnergyPrice=5, location="Trondheim")
        flow.meter("solar", "/produce", 1_500)
        flow.meter("ev", "/consume", 200)
        flow.settle()
        flow.round()
        book = flow.stack.bidmanager.service.bidmanager.book
        placed = PlacedBook(book, flow.stack.marketplace.service.records)
        offers = [o for o in placed.orders() if o.side.value == "offer"]
        requests = [o for o in placed.orders() if o.side.value == "request"]
        assert offers, "the solar panel offered"
        assert requests, "the car asked"
        assert {o.location for o in offers} == {Location(63.4305, 10.3951)}
        assert {o.location for o in requests} == {None}, "a town's name alone names no point"
        assert placed.order(offers[0].id).location == offers[0].location
        assert all(o.location is None for o in book.orders()), "the book itself is unchanged"


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Trondheim (63.4305, 10.3951)", Location(63.4305, 10.3951)),
        ("(-33.9,18.42)", Location(-33.9, 18.42)),
        ("Trondheim", None),
        ("(91, 0)", None),
        ("(0, 181)", None),
        ("(63.4, 10.3) north", None),
    ],
)
def test_a_location_text_names_a_point_only_when_it_ends_with_one(
    text: str, place: Location | None
) -> None:
    assert place_of(text) == place
