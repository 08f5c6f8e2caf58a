"""The telco vertical's catalog over real HTTP (no node): assets as TMF639 resources,
offers and requests matched on creation, the manual search, and refusals that change
nothing."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import httpx
import pytest
from market_server import HOUR_MS, MarketWorld
from telco_support import (
    CELL,
    OFFERING,
    ORDER,
    REQUEST,
    RESOURCE,
    TMF,
    cell_site,
    conforms,
    offering,
    period,
    request,
    tmf,
)

from plaza.api.serving import ThreadedServer
from plaza.bootstrap import SystemClock, build_market
from plaza.settings import MarketSettings
from plaza.verticals.telco_runtime import ORDERS_FILE


def _now() -> int:
    return SystemClock().now_ms()


def test_an_asset_is_a_tmf_resource_with_its_type_place_and_states(world: MarketWorld) -> None:
    resource = cell_site(world.provider)
    assert resource["category"] == "cell_site"
    assert resource["place"]["id"] == "geo:45.07,7.69"
    assert (resource["administrativeState"], resource["usageState"]) == ("unlocked", "idle")
    assert {"name": "technology", "value": "5G", "valueType": "string"} in resource[
        "resourceCharacteristic"
    ]
    read = tmf(world.anonymous, "GET", f"{RESOURCE}/{resource['id']}", params={"fields": "name"})
    assert read.json() == {
        "id": resource["id"],
        "href": resource["href"],
        "name": resource["name"],
        "@type": "Resource",
    }
    listed = tmf(world.anonymous, "GET", RESOURCE, params={"category": "cell_site", "limit": 1})
    assert listed.status_code == 200
    assert int(listed.headers["X-Total-Count"]) >= 1
    assert listed.headers["X-Result-Count"] == "1"
    for item in listed.json():
        conforms("tmf639_v4.0.0", "Resource", item)


def test_a_bad_asset_is_refused_and_nothing_is_registered(world: MarketWorld) -> None:
    before = tmf(world.anonymous, "GET", RESOURCE).headers["X-Total-Count"]
    for body, code in [
        ({"name": "x", "category": "cell_site", "place": {"id": "geo:45,7"}}, "invalid_asset"),
        ({"name": "x", "category": "moon_base", "place": {"id": "geo:45,7"}}, "invalid_request"),
        ({"name": "x", "category": "fibre", "place": {"id": "geo:91,7"}}, "invalid_place"),
    ]:
        answer = tmf(world.provider, "POST", RESOURCE, body)
        assert answer.status_code == 400, answer.text
        error = conforms("tmf622_v4.0.0", "Error", answer.json())
        assert (error["code"], error["status"], error["reason"]) == (code, "400", "Bad Request")
    assert tmf(world.anonymous, "GET", RESOURCE).headers["X-Total-Count"] == before


def test_an_asset_names_its_orchestrator_the_provider_itself_or_an_operator(
    world: MarketWorld,
) -> None:
    before = tmf(world.anonymous, "GET", RESOURCE).headers["X-Total-Count"]
    stranger = world.other.me().id  # a participant, but not an operator
    for named in (stranger, "plz1notaparticipantatallnotaparticipantatall"):
        body = {
            "name": "x",
            "category": "cell_site",
            "place": {"id": "geo:45,7"},
            "resourceCharacteristic": [
                *CELL,
                {"name": "orchestrator", "value": named},
            ],
        }
        answer = tmf(world.provider, "POST", RESOURCE, body)
        assert answer.status_code == 422, answer.text
        error = conforms("tmf622_v4.0.0", "Error", answer.json())  # TMF630's, as 639 has none
        assert error["code"] == "not_orchestrator"
    assert tmf(world.anonymous, "GET", RESOURCE).headers["X-Total-Count"] == before
    operator = world.operator.me().id
    named = cell_site(world.provider, 44.0, 8.0, orchestrator=operator)
    values = {c["name"]: c["value"] for c in named["resourceCharacteristic"]}
    assert values["orchestrator"] == operator
    itself = cell_site(world.provider, 44.0, 8.1, orchestrator=world.provider.me().id)
    assert itself["relatedParty"][0]["id"] == world.provider.me().id


def test_an_offer_and_a_request_are_matched_on_creation(world: MarketWorld) -> None:
    start = _now() + 2 * HOUR_MS
    asset = cell_site(world.provider, 40.0, 9.0)
    offered = offering(world.provider, asset["id"], start, start + 3 * HOUR_MS, 400)
    assert offered["match"] == []
    wanted = request(world.consumer, start + HOUR_MS, start + 2 * HOUR_MS, 500, lat=40.01, lon=9.0)
    assert [found["id"] for found in wanted["match"]] == [offered["id"]]
    assert wanted["match"][0]["price"] == {"unit": "coin", "value": 400}
    again = tmf(world.provider, "GET", f"{OFFERING}/{offered['id']}/match")
    assert [found["id"] for found in again.json()["match"]] == [wanted["id"]]
    too_far = request(world.consumer, start, start + HOUR_MS, 500, lat=41.0, lon=9.0)
    too_cheap = request(world.consumer, start, start + HOUR_MS, 300, lat=40.0, lon=9.0)
    too_late = request(
        world.consumer, start + 4 * HOUR_MS, start + 5 * HOUR_MS, 900, lat=40.0, lon=9.0
    )
    assert too_far["match"] == too_cheap["match"] == too_late["match"] == []


def test_the_manual_search_uses_the_same_filters(world: MarketWorld) -> None:
    start = _now() + 2 * HOUR_MS
    asset = cell_site(world.provider, -33.9, 18.4)
    offered = offering(world.provider, asset["id"], start, start + HOUR_MS, 250)
    near = {"lat": -33.91, "lon": 18.41, "radiusKm": 3}
    window = {"from": start, "until": start + HOUR_MS}

    def found(**params: object) -> list[str]:
        answer = tmf(world.anonymous, "GET", OFFERING, params={"category": "cell_site", **params})
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()]

    assert offered["id"] in found(**near, **window, maxPrice=250)
    listed = tmf(world.anonymous, "GET", OFFERING, params={**near, "category": "cell_site"})
    for item in listed.json():
        conforms("tmf620_v4.1.0", "ProductOffering", item)
    assert offered["id"] not in found(**near, **window, maxPrice=249)
    assert offered["id"] not in found(
        **near, **{"from": start + HOUR_MS, "until": start + 2 * HOUR_MS}
    )
    assert offered["id"] not in found(lat=-34.5, lon=18.41, radiusKm=3)
    assert tmf(world.anonymous, "GET", OFFERING, params={"lat": 1}).status_code == 400


def test_lists_take_tmf630_attribute_filters_with_operators(world: MarketWorld) -> None:
    start = _now() + 3 * HOUR_MS
    asset = cell_site(world.provider, -35.3, 149.1)
    cheap = offering(world.provider, asset["id"], start, start + HOUR_MS, 100)
    dear = offering(world.provider, asset["id"], start + HOUR_MS, start + 2 * HOUR_MS, 400)
    near = {"lat": -35.3, "lon": 149.1, "radiusKm": 1}

    def found(**params: object) -> list[str]:
        answer = tmf(world.anonymous, "GET", OFFERING, params={**near, **params})
        assert answer.status_code == 200, answer.text
        assert answer.headers["X-Total-Count"] == str(len(answer.json()))
        return [item["id"] for item in answer.json()]

    price = "productOfferingPrice.price.value"
    assert found(**{f"{price}.gt": 100}) == [dear["id"]]
    assert found(**{f"{price}.lte": 100}) == [cheap["id"]]
    assert found(**{f"{price}.gte": 100, f"{price}.lt": 401}) == [cheap["id"], dear["id"]]
    later = dear["validFor"]["startDateTime"]
    assert found(**{"validFor.startDateTime.gte": later}) == [dear["id"]]
    assert found(**{"validFor.startDateTime.lt": later, "lifecycleStatus": "active"}) == [
        cheap["id"]
    ]
    refused = tmf(world.anonymous, "GET", OFFERING, params={f"{price}.gt": "cheap"})
    assert refused.status_code == 400
    assert conforms("tmf622_v4.0.0", "Error", refused.json())["code"] == "invalid_filter"
    resources = tmf(world.anonymous, "GET", RESOURCE, params={"name.ne": asset["name"]})
    assert asset["id"] not in [item["id"] for item in resources.json()]


def test_only_the_assets_owner_offers_it_and_bad_input_changes_nothing(world: MarketWorld) -> None:
    start = _now() + HOUR_MS
    asset = cell_site(world.provider, 10.0, 10.0)
    body = {
        "resource": {"id": asset["id"]},
        "validFor": period(start, start + HOUR_MS),
        "productOfferingPrice": [{"price": {"value": 5}}],
    }
    before = tmf(world.anonymous, "GET", OFFERING, params={"lat": 10, "lon": 10, "radiusKm": 1})
    assert tmf(world.other, "POST", OFFERING, body).status_code == 403
    backwards = {**body, "validFor": period(start + HOUR_MS, start)}
    assert tmf(world.provider, "POST", OFFERING, backwards).status_code == 400
    float_price = {**body, "productOfferingPrice": [{"price": {"value": 5.5}}]}
    assert tmf(world.provider, "POST", OFFERING, float_price).status_code == 400
    assert tmf(world.auditor, "POST", OFFERING, body).status_code == 403
    assert tmf(world.anonymous, "POST", OFFERING, body).status_code == 401
    after = tmf(world.anonymous, "GET", OFFERING, params={"lat": 10, "lon": 10, "radiusKm": 1})
    assert after.json() == before.json() == []


def test_without_a_node_no_order_can_be_paid(world: MarketWorld) -> None:
    start = _now() + HOUR_MS
    asset = cell_site(world.provider, 20.0, 20.0)
    offered = offering(world.provider, asset["id"], start, start + HOUR_MS, 5)
    wanted = request(world.consumer, start, start + HOUR_MS, 5, lat=20.0, lon=20.0)
    body = {
        "productOrderItem": [
            {"id": "1", "action": "add", "productOffering": {"id": offered["id"]}}
        ],
        "productRequest": {"id": wanted["id"]},
        "relatedParty": [{"id": world.operator.me().id, "role": "orchestrator"}],
        "payment": [{"id": "ab" * 32}],
    }
    answer = tmf(world.consumer, "POST", ORDER, body)
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "no_ledger"
    assert tmf(world.consumer, "GET", ORDER).json() == []
    assert (
        tmf(world.anonymous, "GET", f"{REQUEST}/{wanted['id']}").json()["lifecycleStatus"]
        == "active"
    )


def test_the_telco_routes_are_in_the_markets_openapi_document(world: MarketWorld) -> None:
    with httpx.Client() as http:
        document = http.get(f"{world.market.url}/openapi.json").json()
    paths = [path for path in document["paths"] if "/telco/tmf-api/" in path]
    for wanted in (RESOURCE, OFFERING, REQUEST, ORDER, f"{ORDER}/{{order_id}}"):
        assert f"/api/v1/market{wanted}" in paths
    assert "/api/v1/market/telco/tmf-api/productOrderingManagement/v4/hub" in paths


def test_the_desk_is_made_as_the_app_starts_and_its_order_file_closed_as_it_stops(
    tmp_path: Path,
) -> None:
    runtime = build_market(MarketSettings(data_dir=tmp_path, node_url=""))
    try:
        app = runtime.app()
        with ThreadedServer(app):
            desk = app.state.telco_desk
            assert desk.all_orders() == []
            assert (tmp_path / ORDERS_FILE).exists()
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            desk.all_orders()
    finally:
        runtime.close()


def test_each_tmf_api_has_its_own_openapi_document(world: MarketWorld) -> None:
    expected = {
        "resourceInventoryManagement": ("TMF639", "/resource"),
        "productCatalogManagement": ("TMF620", "/productOffering"),
        "productOrderingManagement": ("TMF622", "/productOrder"),
        "usageManagement": ("TMF635", "/usage"),
    }
    for api, (number, resource) in expected.items():
        answer = tmf(world.anonymous, "GET", f"{TMF}/{api}/v4/openapi.json")
        assert answer.status_code == 200, answer.text
        document = answer.json()
        assert document["info"]["title"].startswith(number)
        prefix = f"/api/v1/market{TMF}/{api}/v4/"
        assert f"{prefix.rstrip('/')}{resource}" in document["paths"]
        assert all(path.startswith(prefix) for path in document["paths"])
        schemas = document["components"]["schemas"]
        refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(document))
        assert refs, api
        assert set(refs) <= set(schemas), f"{api} references schemas it lacks"
    unknown = tmf(world.anonymous, "GET", f"{TMF}/serviceInventory/v4/openapi.json")
    assert unknown.status_code == 404
    assert conforms("tmf622_v4.0.0", "Error", unknown.json())["code"] == "api_not_found"
