"""Assets over HTTP: register, read, list, describe anew, disable, enable, remove; orders that
name them; bad input answered 400 (never 500) and changing nothing; the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from market_server import MarketWorld, RunningMarket
from typer.testing import CliRunner

from plaza.cli.main import app
from plaza.clients.market import AssetTerms, MarketClient, OrderTerms
from plaza.clients.node import ApiError, ConflictError, NotFoundError
from plaza.market.assets.model import AssetChange
from plaza.market.model import AssetEvent, AssetStatus, Location, attributes

PREFIX = "/api/v1/market"
BERLIN = Location(52.52, 13.405)


def _register(world: MarketWorld, kind: str, **kw: Any) -> str:
    terms = AssetTerms(kind, kw.pop("name", "roof panel"), **kw)
    return world.provider.register_asset(terms).asset.id


def _refused(call: Any) -> tuple[int, str]:
    with pytest.raises(ApiError) as refused:
        call()
    return refused.value.status, refused.value.code


def _send(client: MarketClient, method: str, path: str, body: Any = None) -> httpx.Response:
    """A signed request with any JSON body, sent as it is."""
    with httpx.Client() as http:
        return http.send(client.prepare(method, path, body=body))


def test_an_asset_goes_through_its_states_and_each_is_kept(world: MarketWorld) -> None:
    kind = world.fresh_kind()
    terms = AssetTerms(kind, "roof panel", BERLIN, attributes({"green": True, "kw": 9}))
    registered = world.provider.register_asset(terms)
    asset = registered.asset
    assert not registered.replayed
    assert (asset.owner, asset.kind, asset.status, asset.version) == (
        world.provider.me().id,
        kind,
        AssetStatus.ACTIVE,
        1,
    )
    assert (asset.location, dict(asset.attributes)) == (BERLIN, {"green": True, "kw": 9})
    assert world.anonymous.asset(asset.id) == asset  # public

    change = AssetChange("south roof", None, attributes({"green": True}))
    updated = world.provider.update_asset(asset.id, change)
    assert (updated.name, updated.location, updated.version, updated.event) == (
        "south roof",
        None,
        2,
        AssetEvent.UPDATED,
    )
    assert world.provider.update_asset(asset.id, change).version == 2  # the same: no new state
    assert world.provider.disable_asset(asset.id).status is AssetStatus.DISABLED
    assert world.provider.enable_asset(asset.id).status is AssetStatus.ACTIVE
    removed = world.provider.remove_asset(asset.id)
    assert (removed.status, removed.version, removed.event) == ("removed", 5, "removed")
    assert _refused(lambda: world.provider.enable_asset(asset.id)) == (409, "asset_not_active")
    assert world.anonymous.asset(asset.id) == removed


def test_a_retried_registration_answers_the_same_asset(world: MarketWorld) -> None:
    terms = AssetTerms(world.fresh_kind(), "charger 4")
    first = world.provider.register_asset(terms, idempotency_key="charger-4")
    again = world.provider.register_asset(terms, idempotency_key="charger-4")
    assert (again.asset, again.replayed) == (first.asset, True)
    other = AssetTerms(terms.kind, "charger 5")
    with pytest.raises(ConflictError) as refused:
        world.provider.register_asset(other, idempotency_key="charger-4")
    assert refused.value.code == "idempotency_conflict"
    assert [a.id for a in world.anonymous.assets(kind=terms.kind)] == [first.asset.id]


def test_the_asset_list_narrows_by_kind_owner_status_and_place(world: MarketWorld) -> None:
    kind = world.fresh_kind()
    near = _register(world, kind, location=BERLIN)
    far = _register(world, kind, location=Location(48.14, 11.58))
    gone = _register(world, kind)
    world.provider.remove_asset(gone)
    theirs = world.other.register_asset(AssetTerms(kind, "mallory's")).asset.id

    def ids(**query: object) -> list[str]:
        return [asset.id for asset in world.anonymous.assets(kind=kind, **query)]

    assert ids() == [near, far, theirs]
    assert ids(status="any") == [near, far, gone, theirs]
    assert ids(status="removed") == [gone]
    assert ids(owner=world.provider.me().id) == [near, far]
    assert ids(lat=52.4, lon=13.1, radius_km=50) == [near]
    assert ids(limit=1, offset=1) == [far]


def test_orders_name_only_their_owners_active_assets_of_their_kind(world: MarketWorld) -> None:
    kind = world.fresh_kind()
    asset_id = _register(world, kind)
    theirs = world.other.register_asset(AssetTerms(kind, "not yours")).asset.id

    def offer(asset: str, order_kind: str = kind) -> Any:
        now = world.terms(kind, 5, 5)
        terms = OrderTerms(order_kind, 5, 5, now.valid_from_ms, now.valid_until_ms, asset_id=asset)
        return lambda: world.provider.offer(terms)

    assert _refused(offer("ast-999999")) == (404, "asset_not_found")
    assert _refused(offer(theirs)) == (403, "not_owner")
    assert _refused(offer(asset_id, world.fresh_kind())) == (400, "invalid_order")
    world.provider.disable_asset(asset_id)
    assert _refused(offer(asset_id)) == (409, "asset_not_active")
    assert world.anonymous.orders(kind=kind) == []  # every refusal made no order
    world.provider.enable_asset(asset_id)
    order = offer(asset_id)().order
    assert order.asset_id == asset_id

    assert _refused(lambda: world.provider.remove_asset(asset_id)) == (409, "asset_in_use")
    assert world.anonymous.asset(asset_id).status is AssetStatus.ACTIVE
    world.provider.cancel(order.id)
    assert world.provider.remove_asset(asset_id).status is AssetStatus.REMOVED


BAD_BODIES = [
    {},
    {"kind": "energy"},
    {"kind": "energy", "name": ""},
    {"kind": "Not A Kind!", "name": "x"},
    {"kind": "energy", "name": "x" * 300},
    {"kind": "energy", "name": "x", "location": {"lat": 91, "lon": 0}},
    {"kind": "energy", "name": "x", "location": {"lat": "north", "lon": 0}},
    {"kind": "energy", "name": "x", "attributes": {"kw": 1.5}},
    {"kind": "energy", "name": "x", "attributes": {f"a{i}": i for i in range(40)}},
    {"kind": "energy", "name": "x", "attributes": {"": 1}},
    {"kind": "energy", "name": "x", "owner": "someone else"},
    {"kind": 7, "name": "x"},
    ["kind", "energy"],
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_a_bad_registration_is_a_400_and_registers_nothing(world: MarketWorld, body: Any) -> None:
    mine = {"owner": world.provider.me().id, "status": "any", "limit": 500}
    before = world.anonymous.assets(**mine)
    answer = _send(world.provider, "POST", "/assets", body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] in {"invalid_request", "invalid_asset"}
    assert world.anonymous.assets(**mine) == before


def test_bad_reads_and_changes_are_4xx_never_500(world: MarketWorld, market: RunningMarket) -> None:
    asset_id = _register(world, world.fresh_kind())
    before = world.anonymous.asset(asset_id)
    paths = (
        "/assets?lat=1",
        "/assets?limit=0",
        "/assets?limit=501",
        "/assets?status=lost",
        "/assets?offset=-1",
        "/assets/bad%20id",
        "/assets?radius_km=0&lat=1&lon=1",
    )
    for path in paths:
        answer = httpx.get(market.url + PREFIX + path)
        assert answer.status_code == 400, (path, answer.text)
    raw = httpx.post(
        market.url + PREFIX + "/assets",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert raw.status_code in {400, 401}
    for body in ({"name": ""}, {"name": "x", "kind": "data"}, {"name": "x", "location": {}}):
        answer = _send(world.provider, "PUT", f"/assets/{asset_id}", body)
        assert answer.status_code == 400, answer.text
    with pytest.raises(NotFoundError):
        world.provider.disable_asset("ast-999999")
    with pytest.raises(NotFoundError):
        world.anonymous.asset("ast-999999")
    assert world.anonymous.asset(asset_id) == before


def _cli(market: RunningMarket, home: Path | None, *args: str, code: int = 0) -> str:
    where = ["--url", market.url] + (["--home", str(home)] if home is not None else [])
    result = CliRunner().invoke(app, ["market", *args, *where])
    assert result.exit_code == code, result.output
    return result.output


def test_assets_at_the_command_line(market: RunningMarket, tmp_path: Path) -> None:
    solar = tmp_path / "solar"
    _cli(market, solar, "register", "--name", "solar", "--role", "provider")
    registered = _cli(
        market,
        solar,
        "asset",
        "register",
        "--kind",
        "cli-asset",
        "--name",
        "roof panel",
        "--lat",
        "52.5",
        "--lon",
        "13.4",
        "--attr",
        "green=true",
        "--attr",
        "kw=9",
        "--idempotency-key",
        "roof",
    )
    asset_id = registered.split()[0]
    assert "'roof panel'  active  v1  at 52.5,13.4" in registered
    assert "green=True kw=9" in registered
    again = _cli(
        market,
        solar,
        "asset",
        "register",
        "--kind",
        "cli-asset",
        "--name",
        "roof panel",
        "--lat",
        "52.5",
        "--lon",
        "13.4",
        "--attr",
        "green=true",
        "--attr",
        "kw=9",
        "--idempotency-key",
        "roof",
    )
    assert again.startswith(asset_id)
    assert "(replayed)" in again
    assert asset_id in _cli(market, None, "asset", "list", "--kind", "cli-asset")
    assert "active" in _cli(market, None, "asset", "show", asset_id)
    assert "removed  v2" in _cli(market, solar, "asset", "remove", asset_id)
    assert _cli(market, None, "asset", "list", "--kind", "cli-asset").strip() == ""
    assert asset_id in _cli(market, None, "asset", "list", "--kind", "cli-asset", "--status", "any")
    assert "error" in _cli(market, solar, "asset", "remove", asset_id, code=1)
    assert "error" in _cli(market, None, "asset", "show", "ast-999999", code=1)
    _cli(market, solar, "asset", "register", "--kind", "x", "--name", "y", "--lat", "1", code=2)


def test_an_assets_history_lists_every_state_oldest_first(
    world: MarketWorld, market: RunningMarket
) -> None:
    asset_id = _register(world, world.fresh_kind(), name="barn roof")
    world.provider.update_asset(asset_id, AssetChange("barn roof, south", None, attributes({})))
    world.provider.disable_asset(asset_id)
    world.provider.enable_asset(asset_id)
    answer = httpx.get(f"{market.url}{PREFIX}/assets/{asset_id}/history")  # public
    assert answer.status_code == 200
    states = answer.json()["items"]
    assert [(s["version"], s["event"], s["status"]) for s in states] == [
        (1, "registered", "active"),
        (2, "updated", "active"),
        (3, "disabled", "disabled"),
        (4, "enabled", "active"),
    ]
    assert [s["name"] for s in states] == ["barn roof"] + ["barn roof, south"] * 3
    current = httpx.get(f"{market.url}{PREFIX}/assets/{asset_id}").json()
    assert states[-1] == current  # the last state is the asset as it stands
    for path, status in (("ast-999999", 404), ("bad%20id", 400)):
        missing = httpx.get(f"{market.url}{PREFIX}/assets/{path}/history")
        assert missing.status_code == status, missing.text
