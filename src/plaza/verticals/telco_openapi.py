"""Each TM Forum API of the telco vertical with its own OpenAPI document.

``GET /api/v1/market/telco/tmf-api/<api>/v4/openapi.json`` is the marketplace's
OpenAPI document cut to that API's routes (TMF639 ``resourceInventoryManagement``,
TMF620 ``productCatalogManagement``, TMF622 ``productOrderingManagement``, TMF635
``usageManagement``) and to the schemas they reference, titled as TM Forum names
the API; so a TMF client generator reads one API, as it would from TM Forum. The
documents are derived from the routes themselves, so they cannot drift from them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from plaza.api.errors import RequestProblem
from plaza.verticals.telco_errors import TmfRoute
from plaza.verticals.telco_views import BASE

__all__ = ["APIS", "router"]

router = APIRouter(route_class=TmfRoute)

#: Each API's path segment, and its TM Forum number and name.
APIS = {
    "resourceInventoryManagement": "TMF639 Resource Inventory Management",
    "productCatalogManagement": "TMF620 Product Catalog Management",
    "productOrderingManagement": "TMF622 Product Ordering Management",
    "usageManagement": "TMF635 Usage Management",
}
_SCHEMAS = "#/components/schemas/"


def _referenced(node: Any, schemas: dict[str, Any], found: dict[str, Any]) -> None:
    """Every schema ``node`` references, and theirs, into ``found``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_SCHEMAS):
                name = value.removeprefix(_SCHEMAS)
                if name not in found and name in schemas:
                    found[name] = schemas[name]
                    _referenced(schemas[name], schemas, found)
            else:
                _referenced(value, schemas, found)
    elif isinstance(node, list):
        for item in node:
            _referenced(item, schemas, found)


def api_document(whole: dict[str, Any], api: str) -> dict[str, Any]:
    """``whole`` (the marketplace's OpenAPI document) cut to ``api``'s routes."""
    prefix = f"{BASE}/{api}/v4/"
    paths = {path: item for path, item in whole["paths"].items() if path.startswith(prefix)}
    schemas: dict[str, Any] = {}
    _referenced(paths, whole.get("components", {}).get("schemas", {}), schemas)
    return {
        "openapi": whole["openapi"],
        "info": {
            "title": APIS[api],
            "version": "4.0.0",
            "description": f"Plaza's telco vertical: {APIS[api]}, TM Forum Open API v4 shaped.",
        },
        "paths": paths,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


@router.get("/tmf-api/{api}/v4/openapi.json", include_in_schema=False)
def openapi_of(api: str, request: Request) -> dict[str, Any]:
    """One TM Forum API's own OpenAPI document."""
    if api not in APIS:
        raise RequestProblem(404, "api_not_found", f"no TM Forum API {api!r} here")
    return api_document(request.app.openapi(), api)
