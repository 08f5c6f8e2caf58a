"""The web app's book over a marketplace's HTTP API: what a page gets when the market has
no such listing (404, not a fault) and when it does not answer (503, said on the page)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from plaza.bootstrap import SystemClock
from plaza.bootstrap.web_remote import LISTINGS_LIMIT, HttpListings, open_web_accounts
from plaza.clients.market import MarketClient
from plaza.market.errors import OrderNotFound
from plaza.web import Unavailable


def _listings(handler: httpx.MockTransport) -> HttpListings:
    return HttpListings(MarketClient("http://market.invalid", transport=handler))


def test_it_asks_for_the_most_listings_the_api_gives() -> None:
    asked: list[httpx.Request] = []

    def market(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, json={"items": []})

    assert _listings(httpx.MockTransport(market)).orders() == []
    assert asked[0].url.path == "/api/v1/market/orders"
    assert asked[0].url.params["limit"] == str(LISTINGS_LIMIT)


def test_a_listing_the_market_does_not_have_is_not_found() -> None:
    def market(_request: httpx.Request) -> httpx.Response:
        body = {"error": {"code": "order_not_found", "message": "no such order"}}
        return httpx.Response(404, json=body)

    with pytest.raises(OrderNotFound):
        _listings(httpx.MockTransport(market)).order("ord-9")


@pytest.mark.parametrize("status", [None, 500])
def test_a_market_that_does_not_answer_makes_the_page_unavailable(status: int | None) -> None:
    def market(request: httpx.Request) -> httpx.Response:
        if status is None:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(status, json={"error": {"code": "internal", "message": "x"}})

    listings = _listings(httpx.MockTransport(market))
    with pytest.raises(Unavailable):
        listings.orders()
    with pytest.raises(Unavailable):
        listings.order("ord-1")


def test_a_schema_name_that_is_not_one_is_refused_before_any_connection(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is not a schema name"):
        open_web_accounts(
            tmp_path,
            SystemClock(),
            url="postgresql://nobody@127.0.0.1:1/none",
            schema='x"; DROP',
        )
