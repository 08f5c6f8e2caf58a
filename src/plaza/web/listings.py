"""The public marketplace's question: which listings, filtered how, and which page of them.

A :class:`ListingQuery` is parsed from a page's query string by
:func:`parse_query`, which checks every value first and raises
:class:`~plaza.web.errors.BadInput` naming the field (a filter form sends
strings, and a hand-typed link anything). :func:`select` then filters the book's
orders and cuts one page; a page past the last is
:class:`~plaza.web.errors.PageNotFound`. Nothing here reads or writes anything else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlencode

from plaza.market.matching import haversine_km
from plaza.market.model import MAX_AMOUNT, Location, Order, OrderStatus, Side
from plaza.web.errors import BadInput, PageNotFound

__all__ = [
    "MAX_PAGE",
    "PAGE_SIZES",
    "ListingPage",
    "ListingQuery",
    "located",
    "parse_place",
    "parse_query",
    "parse_time",
    "select",
]

#: Page sizes a person may pick; the first is the default.
PAGE_SIZES = (25, 10, 50, 100)
#: No book has this many pages; a larger number is a typo or a probe.
MAX_PAGE = 1_000_000
_KIND = re.compile(r"[a-z0-9][a-z0-9:._-]{0,63}")
_SEARCH = re.compile(r"[A-Za-z0-9:._-]{1,128}")
_STATUSES = ("open", "all", *(status.value for status in OrderStatus))


@dataclass(frozen=True, slots=True)
class ListingQuery:
    """What the marketplace page shows; every field given narrows it.

    ``kinds`` are the kinds of the chosen vertical (empty: any); ``status`` is ``open``
    (active and disabled), ``all``, or one order status; the time window keeps the
    listings whose validity overlaps it; ``near`` and ``radius_km`` keep those placed
    within that distance of a point."""

    vertical: str = ""
    kinds: tuple[str, ...] = ()
    kind: str = ""
    side: str = ""
    status: str = "open"
    min_price: int | None = None
    max_price: int | None = None
    valid_from_ms: int | None = None
    valid_until_ms: int | None = None
    search: str = ""
    near: Location | None = None
    radius_km: float | None = None
    page: int = 1
    per_page: int = PAGE_SIZES[0]
    raw_from: str = ""
    raw_until: str = ""

    def link(self, **change: object) -> str:
        """This query's query string, with ``change`` applied (``page=3``); defaults left out."""
        query = replace(self, **change)  # type: ignore[arg-type]
        pairs = {
            "vertical": query.vertical,
            "kind": query.kind,
            "side": query.side,
            "status": "" if query.status == "open" else query.status,
            "min_price": "" if query.min_price is None else str(query.min_price),
            "max_price": "" if query.max_price is None else str(query.max_price),
            "from": query.raw_from,
            "until": query.raw_until,
            "q": query.search,
            "lat": "" if query.near is None else f"{query.near.lat:g}",
            "lon": "" if query.near is None else f"{query.near.lon:g}",
            "radius_km": "" if query.radius_km is None else f"{query.radius_km:g}",
            "per_page": "" if query.per_page == PAGE_SIZES[0] else str(query.per_page),
            "page": "" if query.page == 1 else str(query.page),
        }
        return urlencode({name: value for name, value in pairs.items() if value})


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One page of listings and where it stands among the rest."""

    items: tuple[Order, ...]
    page: int
    pages: int
    total: int
    query: ListingQuery


def _integer(params: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    text = params.get(name, "").strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,19}", text):
        raise BadInput(name, f"must be a whole number from {low} to {high}, got {text[:40]!r}")
    value = int(text)
    if not low <= value <= high:
        raise BadInput(name, f"must be from {low} to {high}, got {value}")
    return value


def parse_time(name: str, text: str) -> int | None:
    """``2026-12-07T09:30`` (a ``datetime-local`` field, UTC), ``2026-12-07`` or with
    seconds, as milliseconds since the epoch; empty is None."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        example = "2026-12-07T09:30"
        raise BadInput(name, f"must be a date and time like {example}, got {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 1970 <= moment.year <= 9999:
        raise BadInput(name, "must be a date from 1970 on")
    return int(moment.timestamp() * 1000)


def _number(params: Mapping[str, str], name: str, low: float, high: float) -> float | None:
    text = params.get(name, "").strip()
    if not text:
        return None
    if not re.fullmatch(r"-?[0-9]{1,5}(\.[0-9]{1,12})?", text):
        raise BadInput(name, f"must be a number from {low:g} to {high:g}, got {text[:40]!r}")
    value = float(text)
    if not low <= value <= high:
        raise BadInput(name, f"must be from {low:g} to {high:g}, got {value:g}")
    return value


def parse_place(params: Mapping[str, str]) -> tuple[Location | None, float | None]:
    """``lat``, ``lon`` and ``radius_km`` (all three, or none): a point and a distance."""
    lat, lon = _number(params, "lat", -90, 90), _number(params, "lon", -180, 180)
    radius = _number(params, "radius_km", 0.001, 20_040)
    given = [value is not None for value in (lat, lon, radius)]
    if any(given) and not all(given):
        raise BadInput("radius_km", "lat, lon and radius_km go together: give all three or none")
    if lat is None or lon is None:
        return None, None
    return Location(lat, lon), radius


def _choice(params: Mapping[str, str], name: str, allowed: Sequence[str]) -> str:
    value = params.get(name, "").strip()
    if value and value not in allowed:
        raise BadInput(name, f"must be one of {', '.join(allowed)}, got {value[:40]!r}")
    return value


def parse_query(params: Mapping[str, str], verticals: Mapping[str, Sequence[str]]) -> ListingQuery:
    """The query a page's parameters ask for; ``verticals`` maps each vertical's name to its
    kinds. :class:`BadInput` names the first field that is wrong."""
    vertical = _choice(params, "vertical", sorted(verticals))
    kind = params.get("kind", "").strip()
    if kind and not _KIND.fullmatch(kind):
        raise BadInput("kind", "must be a kind name: lower-case letters, digits and :._-")
    search = params.get("q", "").strip()
    if search and not _SEARCH.fullmatch(search):
        raise BadInput("q", "searches ids and names: up to 128 letters, digits and :._-")
    low = _integer(params, "min_price", 0, MAX_AMOUNT)
    high = _integer(params, "max_price", 0, MAX_AMOUNT)
    if low is not None and high is not None and low > high:
        raise BadInput("max_price", f"must be at least min_price ({low})")
    raw_from, raw_until = params.get("from", "").strip(), params.get("until", "").strip()
    begins, ends = parse_time("from", raw_from), parse_time("until", raw_until)
    if begins is not None and ends is not None and begins > ends:
        raise BadInput("until", "must not be before from")
    per_page = _choice(params, "per_page", [str(size) for size in PAGE_SIZES])
    near, radius = parse_place(params)
    return ListingQuery(
        vertical=vertical,
        kinds=tuple(verticals.get(vertical, ())),
        kind=kind,
        side=_choice(params, "side", [side.value for side in Side]),
        status=_choice(params, "status", _STATUSES) or "open",
        min_price=low,
        max_price=high,
        valid_from_ms=begins,
        valid_until_ms=ends,
        search=search,
        near=near,
        radius_km=radius,
        page=_integer(params, "page", 1, MAX_PAGE) or 1,
        per_page=int(per_page) if per_page else PAGE_SIZES[0],
        raw_from=raw_from[:40],
        raw_until=raw_until[:40],
    )


def _status_fits(order: Order, status: str) -> bool:
    if status == "all":
        return True
    if status == "open":
        return order.status.is_open
    return order.status.value == status


def _near(order: Order, query: ListingQuery) -> bool:
    if query.near is None or query.radius_km is None:
        return True
    place = order.location
    return place is not None and haversine_km(place, query.near) <= query.radius_km


def _fits(order: Order, query: ListingQuery) -> bool:  # noqa: PLR0911 (one test per filter)
    if query.kinds and order.kind not in query.kinds:
        return False
    if query.kind and order.kind != query.kind:
        return False
    if query.side and order.side.value != query.side:
        return False
    if not _status_fits(order, query.status):
        return False
    if query.min_price is not None and order.unit_price < query.min_price:
        return False
    if query.max_price is not None and order.unit_price > query.max_price:
        return False
    if query.valid_from_ms is not None and order.valid_until_ms < query.valid_from_ms:
        return False
    if query.valid_until_ms is not None and order.valid_from_ms > query.valid_until_ms:
        return False
    if not _near(order, query):
        return False
    return not query.search or any(name.startswith(query.search) for name in _names(order))


def _names(order: Order) -> tuple[str, ...]:
    """What a search matches the start of: the listing's, its owner's and its asset's ids,
    and its text attributes (a service's name, a stream's channel)."""
    named = tuple(value for _, value in order.attributes if isinstance(value, str))
    return (order.id, order.owner, order.asset_id or "", *named)


def located(orders: Sequence[Order], query: ListingQuery, *, limit: int = 1000) -> list[Order]:
    """The newest ``limit`` of the query's listings that have a place, for the map."""
    chosen = (o for o in reversed(orders) if o.location is not None and _fits(o, query))
    return [order for _, order in zip(range(limit), chosen, strict=False)]


def select(orders: Sequence[Order], query: ListingQuery) -> ListingPage:
    """The query's page of ``orders``, newest first; a page past the last is PageNotFound."""
    chosen = [order for order in reversed(orders) if _fits(order, query)]
    pages = max(1, -(-len(chosen) // query.per_page))
    if query.page > pages:
        raise PageNotFound(f"page {query.page} is past the last page ({pages}) of these listings")
    start = (query.page - 1) * query.per_page
    items = tuple(chosen[start : start + query.per_page])
    return ListingPage(items=items, page=query.page, pages=pages, total=len(chosen), query=query)
