"""Assets as a client registers and reads them (the owner is always the signer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plaza.market.assets.model import AssetChange
from plaza.market.model import (
    Asset,
    AssetEvent,
    AssetStatus,
    Attributes,
    Location,
    attributes,
)

__all__ = [
    "AssetRegistered",
    "AssetTerms",
    "asset_body",
    "change_body",
    "parse_asset",
    "parse_registered",
]


@dataclass(frozen=True, slots=True)
class AssetTerms:
    """What is registered: its kind (what its orders trade), a name, optionally where and what."""

    kind: str
    name: str
    location: Location | None = None
    attributes: Attributes = ()


@dataclass(frozen=True, slots=True)
class AssetRegistered:
    """The registered asset, and whether the marketplace answered a retry (``replayed``)."""

    asset: Asset
    replayed: bool


def _location_body(location: Location | None) -> dict[str, float] | None:
    return None if location is None else {"lat": location.lat, "lon": location.lon}


def asset_body(terms: AssetTerms) -> dict[str, Any]:
    return {
        "kind": terms.kind,
        "name": terms.name,
        "location": _location_body(terms.location),
        "attributes": dict(terms.attributes),
    }


def change_body(change: AssetChange) -> dict[str, Any]:
    return {
        "name": change.name,
        "location": _location_body(change.location),
        "attributes": dict(change.attributes),
    }


def parse_asset(body: dict[str, Any]) -> Asset:
    where = body["location"]
    return Asset(
        id=str(body["id"]),
        owner=str(body["owner"]),
        kind=str(body["kind"]),
        name=str(body["name"]),
        location=None if where is None else Location(float(where["lat"]), float(where["lon"])),
        attributes=attributes(body["attributes"]),
        status=AssetStatus(body["status"]),
        version=int(body["version"]),
        event=AssetEvent(body["event"]),
        registered_at_ms=int(body["registered_at_ms"]),
        updated_at_ms=int(body["updated_at_ms"]),
    )


def parse_registered(body: dict[str, Any]) -> AssetRegistered:
    return AssetRegistered(parse_asset(body["asset"]), bool(body["replayed"]))
