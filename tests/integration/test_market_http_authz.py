"""The authorization matrix over HTTP: every endpoint, every kind of caller.

The issue's done-when: "a participant cannot see or change another's private
records; an auditor changes nothing". For each endpoint and caller - the record's
owner (the provider), another participant, an auditor, an anonymous caller, and
the owner's API key that holds ``market:read`` only - the expected answer, and
for every refused write, proof that it changed nothing: the record is read
before and after by someone who may read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from market_server import MarketWorld

from plaza.clients.market import AssetTerms, MarketClient
from plaza.clients.node import ApiError
from plaza.market.assets.model import AssetChange
from plaza.market.auth import Scope
from plaza.verticals import registry

OK = "ok"
CALLERS = ("owner", "other", "auditor", "anonymous", "read_key")
NEVER = "eventType=NeverPublishedEvent"  # a hub subscription that receives nothing


@dataclass(frozen=True)
class Row:
    endpoint: str
    expected: tuple[int | str, int | str, int | str, int | str, int | str]  # as CALLERS
    prepare: Callable[[MarketWorld], Any]
    act: Callable[[MarketClient, MarketWorld, Any], object]
    observe: Callable[[MarketWorld, Any], object] | None = None  # None for reads


def _offer(w: MarketWorld) -> str:
    return w.provider.offer(w.terms(w.fresh_kind(), 10, 5)).order.id


def _disabled(w: MarketWorld) -> str:
    order_id = _offer(w)
    w.provider.disable(order_id)
    return order_id


def _unmatched_pair(w: MarketWorld) -> tuple[str, str]:
    """The provider's offer and a bigger request of the consumer: one_to_one never splits it."""
    kind = w.fresh_kind()
    offer = w.provider.offer(w.terms(kind, 10, 5)).order.id
    return offer, w.consumer.request(w.terms(kind, 20, 6)).order.id


def _asset(w: MarketWorld) -> str:
    return w.provider.register_asset(AssetTerms(w.fresh_kind(), "roof panel")).asset.id


def _disabled_asset(w: MarketWorld) -> str:
    asset_id = _asset(w)
    w.provider.disable_asset(asset_id)
    return asset_id


def _asset_state(w: MarketWorld, asset_id: str) -> object:
    asset = w.anonymous.asset(asset_id)
    return asset.status, asset.version, asset.name


def _assets(w: MarketWorld, kind: str) -> object:
    return [asset.id for asset in w.anonymous.assets(kind=kind, status="any")]


def _delivered(w: MarketWorld) -> str:
    contract_id = w.contract().id
    w.consumer.report_delivery(contract_id)
    return contract_id


def _order_state(w: MarketWorld, order_id: str) -> object:
    order = w.anonymous.order(order_id)
    return order.status, order.remaining


def _book(w: MarketWorld, kind: str) -> object:
    return [order.id for order in w.anonymous.orders(kind=kind)]


def _settlement(w: MarketWorld, contract_id: str) -> object:
    return w.auditor.contract(contract_id).settlement


def _keys(w: MarketWorld, _: object) -> object:
    return [(key.id, key.revoked_at_ms) for key in w.provider.api_keys()]


def _hub(w: MarketWorld, _: object) -> object:
    return sorted(s.id for s in w.market.runtime.services.hub.subscriptions())


def _events(c: MarketClient, w: MarketWorld, _: object) -> None:
    c.events().close()


ROWS = [
    # endpoint                       owner other auditor anonymous read_key
    Row(
        "POST /offers",
        (OK, OK, 403, 401, 403),
        lambda w: w.fresh_kind(),
        lambda c, w, kind: c.offer(w.terms(kind, 5, 5)),
        _book,
    ),
    Row(
        "POST /requests",
        (OK, OK, 403, 401, 403),
        lambda w: w.fresh_kind(),
        lambda c, w, kind: c.request(w.terms(kind, 5, 5)),
        _book,
    ),
    Row(
        "GET /orders",
        (OK, OK, OK, OK, OK),
        lambda w: w.fresh_kind(),
        lambda c, w, kind: c.orders(kind=kind),
    ),
    Row("GET /orders/{id}", (OK, OK, OK, OK, OK), _offer, lambda c, w, i: c.order(i)),
    Row(
        "POST /orders/{id}/cancel",
        (OK, 403, 403, 401, 403),
        _offer,
        lambda c, w, i: c.cancel(i),
        _order_state,
    ),
    Row(
        "POST /orders/{id}/disable",
        (OK, 403, 403, 401, 403),
        _offer,
        lambda c, w, i: c.disable(i),
        _order_state,
    ),
    Row(
        "POST /orders/{id}/enable",
        (OK, 403, 403, 401, 403),
        _disabled,
        lambda c, w, i: c.enable(i),
        _order_state,
    ),
    Row(
        "GET /orders/{id}/suggestions",
        (OK, 403, 403, 401, 403),
        _offer,
        lambda c, w, i: c.suggestions(i),
    ),
    Row(
        "POST /orders/{id}/confirm",
        (OK, 403, 403, 401, 403),
        _unmatched_pair,
        lambda c, w, pair: c.confirm(*pair),
        lambda w, pair: [_order_state(w, order_id) for order_id in pair],
    ),
    Row(
        "POST /assets",
        (OK, OK, 403, 401, 403),
        lambda w: w.fresh_kind(),
        lambda c, w, kind: c.register_asset(AssetTerms(kind, "panel")),
        _assets,
    ),
    Row(
        "GET /assets",
        (OK, OK, OK, OK, OK),
        lambda w: w.fresh_kind(),
        lambda c, w, kind: c.assets(kind=kind),
    ),
    Row("GET /assets/{id}", (OK, OK, OK, OK, OK), _asset, lambda c, w, i: c.asset(i)),
    Row(
        "GET /assets/{id}/history",
        (OK, OK, OK, OK, OK),
        _asset,
        lambda c, w, i: c.asset_history(i),
    ),
    Row(
        "PUT /assets/{id}",
        (OK, 403, 403, 401, 403),
        _asset,
        lambda c, w, i: c.update_asset(i, AssetChange("renamed")),
        _asset_state,
    ),
    Row(
        "POST /assets/{id}/disable",
        (OK, 403, 403, 401, 403),
        _asset,
        lambda c, w, i: c.disable_asset(i),
        _asset_state,
    ),
    Row(
        "POST /assets/{id}/enable",
        (OK, 403, 403, 401, 403),
        _disabled_asset,
        lambda c, w, i: c.enable_asset(i),
        _asset_state,
    ),
    Row(
        "DELETE /assets/{id}",
        (OK, 403, 403, 401, 403),
        _asset,
        lambda c, w, i: c.remove_asset(i),
        _asset_state,
    ),
    Row("GET /contracts", (OK, OK, OK, 401, OK), lambda w: None, lambda c, w, _: c.contracts()),
    Row(
        "GET /contracts/{id}",
        (OK, 403, OK, 401, OK),
        lambda w: w.contract().id,
        lambda c, w, i: c.contract(i),
    ),
    Row(
        "POST /contracts/{id}/delivery",
        (OK, 403, 403, 401, 403),
        lambda w: w.contract().id,
        lambda c, w, i: c.report_delivery(i),
        _settlement,
    ),
    Row(
        "POST /contracts/{id}/payment-request",
        (OK, 403, 403, 401, 403),
        _delivered,
        lambda c, w, i: c.request_payment(i),
        _settlement,
    ),
    Row(
        "POST /contracts/{id}/payment",
        (403, 403, 403, 401, 403),
        _delivered,
        lambda c, w, i: c.report_payment(i, "00" * 32),
        _settlement,
    ),  # the consumer's alone
    Row(
        "GET /audit/contracts/{id}",
        (403, 403, OK, 401, 403),
        lambda w: w.contract().id,
        lambda c, w, i: c.audit_contract(i),
    ),
    Row(
        "GET /audit/orders/{id}", (403, 403, OK, 401, 403), _offer, lambda c, w, i: c.audit_order(i)
    ),
    Row(
        "GET /audit/assets/{id}", (403, 403, OK, 401, 403), _asset, lambda c, w, i: c.audit_asset(i)
    ),
    # This world has no node: twins are off, so there is no key to send (503, not 200).
    Row(
        "POST /audit/keys",
        (403, 403, 503, 401, 403),
        lambda w: w.contract().id,
        lambda c, w, i: c.request_audit_keys(contracts=[i]),
    ),
    Row(
        "GET /participants",
        (403, 403, OK, 401, 403),
        lambda w: None,
        lambda c, w, _: c.participants(),
    ),
    Row("GET /participants/me", (OK, OK, OK, 401, OK), lambda w: None, lambda c, w, _: c.me()),
    Row(
        "POST /api-keys",
        (OK, OK, OK, 401, 403),
        lambda w: None,
        lambda c, w, _: c.create_api_key("new", [Scope.MARKET_READ]),
        _keys,
    ),
    Row("GET /api-keys", (OK, OK, OK, 401, 403), lambda w: None, lambda c, w, _: c.api_keys()),
    Row(
        "DELETE /api-keys/{id}",
        (OK, 403, 403, 401, 403),
        lambda w: w.provider.create_api_key("doomed", [Scope.MARKET_READ]).key.id,
        lambda c, w, i: c.revoke_api_key(i),
        _keys,
    ),
    Row(
        "POST /hub",
        (OK, OK, 403, 401, 403),
        lambda w: None,
        lambda c, w, _: c.subscribe("http://127.0.0.1:9/hook", query=NEVER),
        _hub,
    ),
    Row(
        "DELETE /hub/{id}",
        (OK, 403, 403, 401, 403),
        lambda w: w.provider.subscribe("http://127.0.0.1:9/hook", query=NEVER).id,
        lambda c, w, i: c.unsubscribe(i),
        _hub,
    ),
    Row("GET /events", (OK, OK, OK, 401, OK), lambda w: None, _events),
]

CASES = [
    pytest.param(row, caller, expected, id=f"{row.endpoint} as {caller}")
    for row in ROWS
    for caller, expected in zip(CALLERS, row.expected, strict=True)
]


def _outcome(call: Callable[[], object]) -> int | str:
    try:
        call()
    except ApiError as error:
        return error.status
    return OK


@pytest.mark.parametrize(("row", "caller", "expected"), CASES)
def test_authorization_matrix(
    world: MarketWorld, row: Row, caller: str, expected: int | str
) -> None:
    client: MarketClient = getattr(world, "provider" if caller == "owner" else caller)
    target = row.prepare(world)
    before = None if row.observe is None else row.observe(world, target)
    assert _outcome(lambda: row.act(client, world, target)) == expected
    if expected != OK and row.observe is not None:
        assert row.observe(world, target) == before, "a refused call changed something"


def test_the_matrix_covers_every_endpoint(world: MarketWorld) -> None:
    """Every route of the OpenAPI document is in the matrix, except the public service ones
    and the verticals' own (each vertical tests who may call its routes: telco's in
    ``test_telco_order_rules_http.py`` and its neighbours)."""
    paths = httpx.get(world.market.url + "/openapi.json").json()["paths"]
    prefix = "/api/v1/market"
    verticals = tuple(f"{prefix}/{name}/" for name in registry.routers())
    served = {
        f"{method.upper()} {path.removeprefix(prefix)}".replace("{order_id}", "{id}")
        .replace("{contract_id}", "{id}")
        .replace("{key_id}", "{id}")
        .replace("{subscription_id}", "{id}")
        .replace("{asset_id}", "{id}")
        for path, methods in paths.items()
        for method in methods
        if not path.startswith(verticals)
    }
    public = {"GET /health", "GET /info", "POST /participants"}  # covered in the flow tests
    assert served - public == {row.endpoint for row in ROWS}


def test_a_refusal_does_not_name_the_records_parties(world: MarketWorld) -> None:
    contract_id = world.contract().id
    with pytest.raises(ApiError) as refused:
        world.other.contract(contract_id)
    assert refused.value.status == 403
    for party in (world.provider, world.consumer):
        assert party.me().id not in refused.value.message


def test_a_participant_lists_only_its_own_contracts(world: MarketWorld) -> None:
    contract_id = world.contract().id
    assert contract_id in {c.id for c in world.provider.contracts()}
    assert contract_id in {c.id for c in world.consumer.contracts()}
    assert contract_id not in {c.id for c in world.other.contracts()}
    assert world.auditor.contracts() == []  # an auditor is party to nothing; it audits
