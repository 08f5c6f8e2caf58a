"""The public marketplace's filters: every value checked before use, pages cut right,
quantities and prices printed in their kind's units."""

from __future__ import annotations

import pytest

from plaza.market.model import Location, Order, OrderStatus, Side
from plaza.verticals import Units
from plaza.web.display import UnitBook, when
from plaza.web.errors import BadInput, PageNotFound
from plaza.web.listings import ListingQuery, located, parse_query, select

VERTICALS = {"energy": ("energy",), "parking": ("parking",)}
HOUR = 3_600_000


def _order(number: int, **change: object) -> Order:
    fields: dict[str, object] = {
        "id": f"ord-{number}",
        "side": Side.OFFER if number % 2 else Side.REQUEST,
        "owner": f"owner-{number}",
        "kind": "energy",
        "quantity": 1_000,
        "unit_price": number,
        "valid_from_ms": number * HOUR,
        "valid_until_ms": (number + 1) * HOUR,
        "location": None,
        "attributes": (),
        "requirements": None,
        "asset_id": None,
        "accepted_at_ms": 0,
        "priority": number,
        "remaining": 1_000,
        "status": OrderStatus.ACTIVE,
    }
    fields.update(change)
    return Order(**fields)  # type: ignore[arg-type]


BOOK = [_order(n) for n in range(1, 31)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"vertical": "gold"}, "vertical"),
        ({"kind": "Energy!"}, "kind"),
        ({"side": "both"}, "side"),
        ({"status": "sold"}, "status"),
        ({"min_price": "-1"}, "min_price"),
        ({"min_price": "ten"}, "min_price"),
        ({"max_price": "99999999999999999999"}, "max_price"),
        ({"min_price": "9", "max_price": "3"}, "max_price"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-12-08T00:00", "until": "2026-12-07T00:00"}, "until"),
        ({"q": "<script>"}, "q"),
        ({"page": "0"}, "page"),
        ({"page": "1e9"}, "page"),
        ({"page": "99999999999"}, "page"),
        ({"per_page": "7"}, "per_page"),
        ({"lat": "91", "lon": "0", "radius_km": "5"}, "lat"),
        ({"lat": "north", "lon": "0", "radius_km": "5"}, "lat"),
        ({"lat": "1", "lon": "-180.5", "radius_km": "5"}, "lon"),
        ({"lat": "1", "lon": "1", "radius_km": "0"}, "radius_km"),
        ({"lat": "1", "lon": "1"}, "radius_km"),
        ({"radius_km": "10"}, "radius_km"),
    ],
)
def test_a_bad_filter_value_names_its_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(BadInput) as raised:
        parse_query(params, VERTICALS)
    assert raised.value.field == field
    assert raised.value.message.startswith(f"{field}: ")


def test_no_parameters_is_the_open_listings_first_page() -> None:
    assert parse_query({}, VERTICALS) == ListingQuery()


def test_filters_narrow_and_pages_cut_newest_first() -> None:
    query = parse_query(
        {"side": "offer", "min_price": "5", "max_price": "20", "per_page": "10"}, VERTICALS
    )
    first = select(BOOK, query)
    assert [o.unit_price for o in first.items] == [19, 17, 15, 13, 11, 9, 7, 5]
    assert (first.total, first.pages) == (8, 1)
    everything = select(BOOK, parse_query({"per_page": "10", "page": "3"}, VERTICALS))
    assert [o.id for o in everything.items] == [f"ord-{n}" for n in range(10, 0, -1)]
    assert everything.pages == 3


def test_a_page_past_the_last_is_not_found_and_says_how_many_there_are() -> None:
    with pytest.raises(PageNotFound, match=r"page 4 is past the last page \(3\)"):
        select(BOOK, parse_query({"per_page": "10", "page": "4"}, VERTICALS))


def test_the_time_window_keeps_listings_valid_during_it() -> None:
    query = parse_query({"from": "1970-01-01T05:30", "until": "1970-01-01T07:00"}, VERTICALS)
    assert sorted(o.id for o in select(BOOK, query).items) == ["ord-5", "ord-6", "ord-7"]


def test_search_finds_an_id_or_its_start_and_vertical_its_kinds() -> None:
    assert [o.id for o in select(BOOK, parse_query({"q": "ord-17"}, VERTICALS)).items] == ["ord-17"]
    assert select(BOOK, parse_query({"vertical": "parking"}, VERTICALS)).total == 0
    closed = [_order(1, status=OrderStatus.FILLED)]
    assert select(closed, parse_query({}, VERTICALS)).total == 0
    assert select(closed, parse_query({"status": "filled"}, VERTICALS)).total == 1


def test_search_finds_a_listing_by_the_start_of_a_text_attribute() -> None:
    named = [
        _order(1, attributes=(("channel", "ab12"), ("service", "forecast"), ("slots", 3))),
        _order(2, attributes=(("service", "route"),)),
    ]
    assert [o.id for o in select(named, parse_query({"q": "fore"}, VERTICALS)).items] == ["ord-1"]
    assert [o.id for o in select(named, parse_query({"q": "ab1"}, VERTICALS)).items] == ["ord-1"]
    assert select(named, parse_query({"q": "3"}, VERTICALS)).total == 0  # numbers are no names
    assert select(named, parse_query({"q": "cast"}, VERTICALS)).total == 0  # starts only


def test_links_keep_the_filters_and_drop_the_defaults() -> None:
    query = parse_query({"vertical": "energy", "min_price": "5", "page": "2"}, VERTICALS)
    assert query.link(page=3) == "vertical=energy&min_price=5&page=3"
    assert query.link(page=1) == "vertical=energy&min_price=5"


def test_quantities_and_prices_carry_their_kinds_units() -> None:
    units = UnitBook({"energy": Units("Wh", "coins per kWh", ("kWh", 1000))})
    assert units.quantity("energy", 12_500) == "12,500 Wh (12.5 kWh)"
    assert units.quantity("energy", 999) == "999 Wh"
    assert units.price("energy", 20) == "20 coins per kWh"
    assert units.quantity("widgets", 3) == "3 units"
    assert units.price("widgets", 3) == "3 coins per unit"
    windows = UnitBook({"fibre": Units("windows", "coins per window", one="window")})
    assert windows.quantity("fibre", 1) == "1 window"
    assert windows.quantity("fibre", 2) == "2 windows"
    assert when(0) == "1970-01-01 00:00:00 UTC"
    assert when(None) == "-"


def test_a_place_and_a_radius_keep_the_listings_within_it() -> None:
    near = Location(63.43, 10.39)
    placed = [
        _order(1, location=near),
        _order(2, location=Location(63.5, 10.5)),  # about 10 km away
        _order(3, location=Location(59.91, 10.75)),  # Oslo: about 390 km
        _order(4),  # no place
    ]
    query = parse_query({"lat": "63.43", "lon": "10.39", "radius_km": "50"}, VERTICALS)
    assert sorted(o.id for o in select(placed, query).items) == ["ord-1", "ord-2"]
    assert [o.id for o in located(placed, parse_query({}, VERTICALS))] == [
        "ord-3",
        "ord-2",
        "ord-1",
    ]
    assert query.link() == "lat=63.43&lon=10.39&radius_km=50"
