"""Calling the telco vertical's TM Forum API over real HTTP, signed as a market client."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs

from plaza.clients.market import MarketClient

TMF = "/telco/tmf-api"
RESOURCE = f"{TMF}/resourceInventoryManagement/v4/resource"
OFFERING = f"{TMF}/productCatalogManagement/v4/productOffering"
REQUEST = f"{TMF}/productCatalogManagement/v4/productRequest"
ORDERING = f"{TMF}/productOrderingManagement/v4"
ORDER = f"{ORDERING}/productOrder"
USAGE = f"{TMF}/usageManagement/v4/usage"
CELL = [
    {"name": "technology", "value": "5G"},
    {"name": "bands", "value": "n78"},
    {"name": "capacity_mbps", "value": 900},
]


#: The official schemas (tmforum-apis, Apache-2.0), cut to what each resource references.
SCHEMAS = Path(__file__).parents[1] / "contract" / "tmf"


@cache
def _validator(api: str, resource: str) -> jsonschema_rs.Draft4Validator:
    definitions = json.loads((SCHEMAS / f"{api}.json").read_text())["definitions"]
    return jsonschema_rs.Draft4Validator(
        {"$ref": f"#/definitions/{resource}", "definitions": definitions}
    )


def conforms(api: str, resource: str, body: Any) -> Any:
    """``body`` once it is checked against the official schema of ``resource``."""
    errors = [
        f"{'/'.join(map(str, error.instance_path))}: {error.message}"
        for error in _validator(api, resource).iter_errors(body)
    ]
    assert errors == [], f"{resource} breaks {api}: {errors}"
    return body


def tmf(
    client: MarketClient,
    method: str,
    path: str,
    body: Any = None,
    params: dict[str, Any] | None = None,
) -> httpx.Response:
    """One signed (or anonymous) request to ``/api/v1/market`` + ``path``."""
    request = client.prepare(method, path, params=params, body=body)
    with httpx.Client(timeout=60.0) as http:
        return http.send(request)


def period(start_ms: int, end_ms: int) -> dict[str, str]:
    from plaza.verticals.telco_views import iso

    return {"startDateTime": iso(start_ms), "endDateTime": iso(end_ms)}


def cell_site(
    client: MarketClient,
    lat: float = 45.07,
    lon: float = 7.69,
    *,
    orchestrator: str | None = None,
) -> dict[str, Any]:
    """A cell site of ``client``'s; its orders' orchestrator is ``orchestrator`` if given,
    else the provider itself."""
    named = [] if orchestrator is None else [{"name": "orchestrator", "value": orchestrator}]
    body = {
        "name": "Turin Lingotto rooftop",
        "category": "cell_site",
        "place": {"id": f"geo:{lat},{lon}"},
        "resourceCharacteristic": [*CELL, *named],
    }
    answer = tmf(client, "POST", RESOURCE, body)
    assert answer.status_code == 201, answer.text
    return dict(conforms("tmf639_v4.0.0", "Resource", answer.json()))


def offering(client: MarketClient, asset_id: str, start: int, end: int, price: int) -> Any:
    body = {
        "resource": {"id": asset_id},
        "validFor": period(start, end),
        "productOfferingPrice": [{"price": {"value": price, "unit": "coin"}}],
    }
    answer = tmf(client, "POST", OFFERING, body)
    assert answer.status_code == 201, answer.text
    return conforms("tmf620_v4.1.0", "ProductOffering", answer.json())


def request(
    client: MarketClient,
    start: int,
    end: int,
    max_price: int,
    *,
    lat: float = 45.06,
    lon: float = 7.68,
    radius_km: float = 5.0,
) -> Any:
    body = {
        "category": "cell_site",
        "place": {"id": f"geo:{lat},{lon}"},
        "radiusKm": radius_km,
        "validFor": period(start, end),
        "maxPrice": {"value": max_price},
        "requiredCharacteristic": [{"name": "technology", "value": "5G"}],
    }
    answer = tmf(client, "POST", REQUEST, body)
    assert answer.status_code == 201, answer.text
    return answer.json()
