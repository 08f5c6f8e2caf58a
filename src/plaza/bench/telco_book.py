"""The workload of ``plaza bench telco``: the parties, a book of offerings and requests of
every type around twenty European cities, and its filling in process.

The book's orders are random but seeded, so two runs meet the same book: windows over
the next month, prices from 50 to 500, places within ~30 km of a city, requests
within 5, 10 or 25 km; every offering on one of its provider's assets, which say
what their type must (:data:`TYPES`).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from plaza.bootstrap import MarketRuntime
from plaza.clients.market import MarketClient
from plaza.crypto import Identity
from plaza.market.auth import Principal, Role
from plaza.market.auth.model import PrincipalKind, scopes_of
from plaza.market.model import Location, NewAsset, attributes
from plaza.telco.assets import AssetType, kind_of
from plaza.telco.terms import Offer, Request, Window

__all__ = [
    "DAY_MS",
    "HOUR_MS",
    "OFFERING",
    "ORDER",
    "REQUEST",
    "RESOURCE",
    "TYPES",
    "Book",
    "Party",
    "fill",
    "in_threads",
    "period",
]

TMF = "/telco/tmf-api"
RESOURCE = f"{TMF}/resourceInventoryManagement/v4/resource"
OFFERING = f"{TMF}/productCatalogManagement/v4/productOffering"
REQUEST = f"{TMF}/productCatalogManagement/v4/productRequest"
ORDER = f"{TMF}/productOrderingManagement/v4/productOrder"
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
CITIES = (
    (45.07, 7.69), (41.90, 12.50), (48.86, 2.35), (52.52, 13.40), (40.42, -3.70),
    (51.51, -0.13), (59.33, 18.07), (63.43, 10.40), (60.17, 24.94), (52.37, 4.90),
    (50.85, 4.35), (48.21, 16.37), (47.50, 19.04), (50.08, 14.44), (52.23, 21.01),
    (38.72, -9.14), (53.35, -6.26), (55.68, 12.57), (37.98, 23.73), (44.43, 26.10),
)  # fmt: skip
#: Each type's characteristics: what an asset of it says, what a request may require.
TYPES: dict[str, list[dict[str, Any]]] = {
    "cell_site": [{"name": "technology", "value": "5G"}, {"name": "bands", "value": "n78"},
                  {"name": "capacity_mbps", "value": 900}],
    "small_cell": [{"name": "technology", "value": "5G"}, {"name": "bands", "value": "n78"},
                   {"name": "capacity_mbps", "value": 300}],
    "drone_cell": [{"name": "technology", "value": "4G"}, {"name": "capacity_mbps", "value": 150},
                   {"name": "flight_minutes", "value": 45}],
    "fibre": [{"name": "bandwidth_mbps", "value": 10_000}, {"name": "endpoint_a", "value": "A"},
              {"name": "endpoint_b", "value": "B"}],
    "spectrum": [{"name": "band", "value": "n78"}, {"name": "frequency_mhz", "value": 3500},
                 {"name": "width_mhz", "value": 100}],
    "edge_compute": [{"name": "vcpus", "value": 64}, {"name": "memory_gb", "value": 256}],
}  # fmt: skip


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def period(start_ms: int, end_ms: int) -> dict[str, str]:
    return {"startDateTime": iso(start_ms), "endDateTime": iso(end_ms)}


class Party:
    """A participant with a signing client and a connection of its own."""

    def __init__(self, url: str, name: str, role: Role) -> None:
        self.identity = Identity.generate()
        self.roles = (role,)
        self.client = MarketClient(url, identity=self.identity, timeout=60.0)
        self.client.register(name, roles=[role])
        self.id = str(self.identity.address)
        self.http = httpx.Client(timeout=60.0)

    def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        answer = self.http.send(self.client.prepare(method, path, body=body))
        if answer.status_code not in (200, 201):
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text}")
        result: dict[str, Any] = answer.json()
        return result

    def close(self) -> None:
        self.http.close()
        self.client.close()


class Book:
    """Random offerings and requests around the cities, of every type."""

    def __init__(self, seed: int, now_ms: int) -> None:
        self._random = random.Random(seed)  # a workload, not a secret
        self._now = now_ms

    def place(self) -> str:
        lat, lon = self._random.choice(CITIES)
        spread = self._random.uniform
        return f"geo:{lat + spread(-0.25, 0.25):.5f},{lon + spread(-0.25, 0.25):.5f}"

    def window(self) -> dict[str, str]:
        start = self._now + self._random.randrange(1, 30) * DAY_MS
        start += self._random.randrange(24) * HOUR_MS
        return period(start, start + self._random.randrange(2, 48) * HOUR_MS)

    def asset_type(self) -> str:
        return self._random.choice(list(TYPES))

    def offering(self, asset_id: str) -> dict[str, Any]:
        price = self._random.randrange(50, 500)
        return {
            "resource": {"id": asset_id},
            "validFor": self.window(),
            "productOfferingPrice": [{"price": {"value": price, "unit": "coin"}}],
        }

    def request(self) -> dict[str, Any]:
        return {
            "category": self.asset_type(),
            "place": {"id": self.place()},
            "radiusKm": self._random.choice((5.0, 10.0, 25.0)),
            "validFor": self.window(),
            "maxPrice": {"value": self._random.randrange(50, 500)},
        }

    def asset(self, name: str) -> dict[str, Any]:
        asset_type = self.asset_type()
        return {
            "name": name,
            "category": asset_type,
            "place": {"id": self.place()},
            "resourceCharacteristic": TYPES[asset_type],
        }


def in_threads(count: int, work: Callable[[int], None]) -> float:
    """Run ``work(0..count-1)`` in threads at once; the wall time, or the first failure."""
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            work(number)
        except BaseException as error:  # reported below, in the caller's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError("a benchmark thread failed") from errors[0]
    return time.perf_counter() - began


def fill(
    market: MarketRuntime, parties: tuple[Party, Party], book: Book, *, size: int, assets: int
) -> None:
    """The book's offerings (on their provider's assets) and requests, in process."""
    provider, consumer = (principal(party) for party in parties)
    marketplace = market.services.marketplace
    made = []
    for number in range(assets):
        body = book.asset(f"asset {number}")
        asset_type = AssetType(body["category"])
        place = location(body["place"]["id"])
        values = attributes(
            {item["name"]: item["value"] for item in body["resourceCharacteristic"]}
        )
        spec = NewAsset(
            provider.participant_id or "", kind_of(asset_type), body["name"], place, values
        )
        made.append((asset_type, marketplace.register_asset(provider, spec).asset))
    for number in range(size // 2):
        asset_type, asset = made[number % len(made)]
        assert asset.location is not None
        offered = book.offering(asset.id)
        window = window_of(offered["validFor"])
        price = offered["productOfferingPrice"][0]["price"]["value"]
        offer = Offer(
            asset.owner, asset.id, asset_type, asset.location, window, price, asset.attributes
        )
        marketplace.submit_order(provider, offer.order())
        wanted = book.request()
        request = Request(
            consumer.participant_id or "",
            AssetType(wanted["category"]),
            location(wanted["place"]["id"]),
            wanted["radiusKm"],
            window_of(wanted["validFor"]),
            wanted["maxPrice"]["value"],
        )
        marketplace.submit_order(consumer, request.order())


def principal(party: Party) -> Principal:
    roles = frozenset(party.roles)
    return Principal(PrincipalKind.PARTICIPANT, party.id, roles, scopes_of(roles))


def location(geo: str) -> Location:
    lat, lon = (float(part) for part in geo.removeprefix("geo:").split(","))
    return Location(lat, lon)


def window_of(period: dict[str, str]) -> Window:
    start, end = (datetime.fromisoformat(period[edge]) for edge in ("startDateTime", "endDateTime"))
    return Window(int(start.timestamp() * 1000), int(end.timestamp() * 1000))
