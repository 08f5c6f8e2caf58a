"""Matching on creation and the manual search, on the market's own book (in memory).

The oracle is the rule as the issue states it: the same asset type, windows that
overlap, the offer within the request's radius of its place, the offer's price at
most the request's. The market's suggestions for a new request (and for a new
offer) must be exactly the orders the oracle accepts, and the manual search with
the request's terms must find the same offers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaza.market.assets.memory import MemoryAssetDirectory
from plaza.market.book.memory import MemoryBookStore
from plaza.market.book.service import BidManager
from plaza.market.errors import MarketError
from plaza.market.kinds import Kinds
from plaza.market.matching.filters import haversine_km
from plaza.market.model import AttributeValue, Location, NewAsset, Side, attributes
from plaza.telco.assets import AssetType, kind_of
from plaza.telco.kind import KINDS
from plaza.telco.terms import Offer, Request, Search, Window
from plaza.testing import FakeClock

HOUR = 3_600_000
CENTRE = Location(45.07, 7.69)
TYPES = (AssetType.CELL_SITE, AssetType.SMALL_CELL)
CELL: dict[str, AttributeValue] = {"technology": "5G", "bands": "n78", "capacity_mbps": 500}


@dataclass(frozen=True)
class Terms:
    asset_type: AssetType
    lat: float
    lon: float
    start_h: int
    hours: int
    price: int

    def window(self, now: int) -> Window:
        return Window(now + self.start_h * HOUR, now + (self.start_h + self.hours) * HOUR)


terms = st.builds(
    Terms,
    st.sampled_from(TYPES),
    st.floats(44.9, 45.25),
    st.floats(7.45, 7.95),
    st.integers(0, 20),
    st.integers(1, 6),
    st.integers(1, 1000),
)


def _book() -> tuple[BidManager, int]:
    clock = FakeClock()
    book = BidManager(
        MemoryBookStore(),
        clock=clock,
        policy="cda",
        kinds=Kinds(KINDS),
        assets=MemoryAssetDirectory(),
    )
    return book, clock.now_ms()


def _offer(book: BidManager, owner: str, t: Terms, now: int) -> str:
    place = Location(t.lat, t.lon)
    asset = NewAsset(owner, kind_of(t.asset_type), "site", place, attributes(CELL))
    asset_id = book.register_asset(asset).asset.id
    offer = Offer(owner, asset_id, t.asset_type, place, t.window(now), t.price, attributes(CELL))
    return book.submit_order(offer.order()).order.id


def _fits(offer: Terms, wanted: Terms, radius: float, now: int) -> bool:
    close = haversine_km(Location(offer.lat, offer.lon), Location(wanted.lat, wanted.lon))
    return (
        offer.asset_type is wanted.asset_type
        and offer.window(now).overlaps(wanted.window(now))
        and close <= radius
        and offer.price <= wanted.price
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(terms, max_size=8), terms, st.floats(1.0, 30.0))
def test_a_new_request_is_suggested_exactly_the_offers_that_fit(
    offers: list[Terms], wanted: Terms, radius: float
) -> None:
    book, now = _book()
    ids = {_offer(book, f"op{n}", t, now): t for n, t in enumerate(offers)}
    place = Location(wanted.lat, wanted.lon)
    request = Request("sp", wanted.asset_type, place, radius, wanted.window(now), wanted.price)
    request_id = book.submit_order(request.order()).order.id
    suggested = {s.order.id for s in book.suggest_matches(request_id, participant="sp")}
    expected = {order_id for order_id, t in ids.items() if _fits(t, wanted, radius, now)}
    assert suggested == expected
    search = Search(
        Side.OFFER, wanted.asset_type, place, radius, wanted.window(now), max_price=wanted.price
    )
    found = {order.id for order in book.orders() if search.fits(order)}
    assert found == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(terms, st.floats(1.0, 30.0)), max_size=8), terms)
def test_a_new_offer_is_suggested_exactly_the_requests_it_fits(
    requests: list[tuple[Terms, float]], offered: Terms
) -> None:
    book, now = _book()
    ids = {}
    for n, (t, radius) in enumerate(requests):
        place = Location(t.lat, t.lon)
        request = Request(f"sp{n}", t.asset_type, place, radius, t.window(now), t.price)
        ids[book.submit_order(request.order()).order.id] = (t, radius)
    offer_id = _offer(book, "op", offered, now)
    suggested = {s.order.id for s in book.suggest_matches(offer_id, participant="op")}
    expected = {i for i, (t, radius) in ids.items() if _fits(offered, t, radius, now)}
    assert suggested == expected


def test_orders_of_the_manual_policy_never_match_by_themselves() -> None:
    book, now = _book()
    t = Terms(AssetType.CELL_SITE, 45.07, 7.69, 1, 2, 100)
    _offer(book, "op", t, now)
    request = Request("sp", t.asset_type, CENTRE, 5.0, t.window(now), 200)
    submitted = book.submit_order(request.order())
    assert submitted.matches == ()


def test_only_the_assets_owner_may_offer_it() -> None:
    book, now = _book()
    t = Terms(AssetType.CELL_SITE, 45.07, 7.69, 1, 2, 100)
    asset = NewAsset("op", kind_of(t.asset_type), "site", CENTRE, attributes(CELL))
    asset_id = book.register_asset(asset).asset.id
    stolen = Offer("thief", asset_id, t.asset_type, CENTRE, t.window(now), 1)
    with pytest.raises(MarketError):
        book.submit_order(stolen.order())
    fibre = Offer("op", asset_id, AssetType.FIBRE, CENTRE, t.window(now), 1)
    with pytest.raises(MarketError):
        book.submit_order(fibre.order())
    assert book.orders() == []


def test_a_request_requiring_a_value_is_suggested_only_the_assets_having_it() -> None:
    book, now = _book()
    t = Terms(AssetType.CELL_SITE, 45.07, 7.69, 1, 2, 100)
    offer_id = _offer(book, "op", t, now)
    for technology, expected in (("5G", [offer_id]), ("4G", [])):
        wanted = attributes({"technology": technology})
        request = Request(f"sp-{technology}", t.asset_type, CENTRE, 5.0, t.window(now), 200, wanted)
        request_id = book.submit_order(request.order()).order.id
        found = book.suggest_matches(request_id, participant=f"sp-{technology}")
        assert [s.order.id for s in found] == expected
