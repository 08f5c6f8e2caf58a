"""The telco vertical in ``plaza demo``: two operators, a festival's coverage, an orchestrator.

The cast trades on the demo's marketplace (the one its web app's dashboard trades at and
its telco pages read), or on a marketplace of its own served on loopback (the one
market's production wiring, SQLite, twins on the demo's node). Two operators register a few
assets around Trondheim (a rooftop cell site and a small cell; a drone cell and a
fibre link); every ``cycle_s`` they offer them for the next event's window, and a
service provider (a festival's media crew) requests 5G coverage near the square,
finds the match on creation, holds the price on the node for the operator (the
marketplace as arbiter) and orders it through TMF622; the operator confirms it.
The orchestrator (``plaza telco orchestrator``'s agent, an operator the
marketplace admits, which every demo asset names as its ``orchestrator``) hears
of it through the order hub, configures access as the
window starts (which releases the payment), and removes it as the window ends; its
access list is served at ``/access``. Keys are kept under ``<data_dir>/telco``, so
a second run is the same cast.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from plaza.adapters.ledger.local import LocalLedger
from plaza.api.market import MarketApiConfig
from plaza.api.serving import ThreadedServer, bind_listener, listener_url
from plaza.bootstrap.clock import SystemClock
from plaza.bootstrap.market import MarketRuntime, build_market
from plaza.clients.market import MarketClient
from plaza.clock import Clock
from plaza.crypto import Address, Identity
from plaza.keyfiles import identity_at
from plaza.market.auth import Role, SignedRegistration, sign_registration
from plaza.settings import MarketSettings
from plaza.sqlite import private_folder
from plaza.telco.orchestrator import Orchestrator, create_listener_app
from plaza.wallet.holds import compose_hold

__all__ = ["TelcoDemo", "TelcoSettings"]

log = logging.getLogger(__name__)

_TMF = "/telco/tmf-api"
_RESOURCE = f"{_TMF}/resourceInventoryManagement/v4/resource"
_OFFERING = f"{_TMF}/productCatalogManagement/v4/productOffering"
_REQUEST = f"{_TMF}/productCatalogManagement/v4/productRequest"
_ORDER = f"{_TMF}/productOrderingManagement/v4/productOrder"
_SQUARE = (63.4305, 10.3951)  # Trondheim's market square, where the festival is
_LOW_FUNDS = 10_000
_FIVE_G = [{"name": "technology", "value": "5G"}]
#: Each operator's assets: name, type, place, characteristics, price per window.
_ASSETS: dict[str, tuple[tuple[str, str, tuple[float, float], list[dict[str, Any]], int], ...]] = {
    "Nidelva Towers": (
        ("Solsiden rooftop", "cell_site", (63.4346, 10.4136),
         [*_FIVE_G, {"name": "bands", "value": "n78"}, {"name": "capacity_mbps", "value": 900}],
         400),
        ("Torget small cell", "small_cell", (63.4301, 10.3947),
         [*_FIVE_G, {"name": "bands", "value": "n78"}, {"name": "capacity_mbps", "value": 300}],
         250),
    ),
    "Fjord Fibre": (
        ("Munkholmen drone cell", "drone_cell", (63.4510, 10.3830),
         [*_FIVE_G, {"name": "capacity_mbps", "value": 150},
          {"name": "flight_minutes", "value": 40}],
         300),
        ("Brattøra fibre", "fibre", (63.4400, 10.4020),
         [{"name": "bandwidth_mbps", "value": 10_000}, {"name": "endpoint_a", "value": "Brattøra"},
          {"name": "endpoint_b", "value": "Torget"}],
         200),
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class TelcoSettings:
    host: str = "127.0.0.1"
    cycle_s: float = 45.0  # a new event every cycle
    lead_s: float = 10.0  # an event's window starts this long after it is ordered
    window_s: float = 30.0  # and lasts this long


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def _coverage(window: dict[str, str]) -> dict[str, object]:
    """The festival's request: a 5G cell site within 5 km of the square for ``window``."""
    return {
        "category": "cell_site",
        "place": {"id": f"geo:{_SQUARE[0]},{_SQUARE[1]}"},
        "radiusKm": 5.0,
        "validFor": window,
        "maxPrice": {"value": 500},
        "requiredCharacteristic": _FIVE_G,
    }


class TelcoDemo:
    """Start with :meth:`start`, read :meth:`summary` any time, end with :meth:`stop`."""

    def __init__(
        self,
        root: Path,
        ledger: LocalLedger,
        clock: Clock,
        node_url: str,
        settings: TelcoSettings,
        *,
        market: tuple[MarketRuntime, str] | None = None,
    ) -> None:
        """With ``market`` (a marketplace served at a URL: the demo's, where its web app's
        dashboard trades and its telco pages read), the cast trades there; without, on a
        marketplace of its own in ``<root>/market``."""
        self.root = private_folder(root)
        self.settings = settings
        self._ledger, self._clock = ledger, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._opened: list[Any] = []
        self._market_server: ThreadedServer | None = None
        if market is None:
            self.market: MarketRuntime = build_market(
                MarketSettings(
                    data_dir=self.root / "market", node_url=node_url, allow_private_callbacks=True
                ),
                config=MarketApiConfig(periodic_interval_s=1.0),
            )
            self._market_server = ThreadedServer(self.market.app(), host=settings.host)
            self.url = self._market_server.url
        else:
            self.market, self.url = market
        self._listener = bind_listener(settings.host, 0)
        self.orchestrator_url = listener_url(self._listener)
        self.orchestrator: Orchestrator | None = None
        self._orchestrator_server: ThreadedServer | None = None
        self._http = httpx.Client(timeout=30.0)
        self._clients: dict[str, MarketClient] = {}
        self._assets: dict[str, list[tuple[str, int]]] = {}  # operator -> (asset id, price)

    # -- the cast ------------------------------------------------------------------------

    def _client(self, name: str, role: Role) -> MarketClient:
        """The participant kept as ``<name>.key``, registered (once) with ``role``."""
        identity = identity_at(self.root / f"{name.replace(' ', '-').lower()}.key")
        client = MarketClient(self.url, identity=identity, timeout=30.0)
        self._clients[name] = client
        try:
            client.me()
        except Exception:  # not registered yet: a first run
            client.register(name, roles=[role])
        return client

    def _admit_orchestrator(self) -> MarketClient:
        identity = identity_at(self.root / "orchestrator.key")
        client = MarketClient(self.url, identity=identity, timeout=30.0)
        self._clients["orchestrator"] = client
        try:
            client.me()
        except Exception:  # not admitted yet: a first run
            self.market.admit_operator(_registration(identity, self.market))
        return client

    def _call(self, client: MarketClient, method: str, path: str, body: Any = None) -> Any:
        answer = self._http.send(client.prepare(method, path, body=body))
        if answer.status_code not in (200, 201):
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text}")
        return answer.json()

    def _register_assets(self, orchestrator: str) -> None:
        """Each operator's assets, named as orchestrated by ``orchestrator`` (an asset of an
        earlier run naming none is left alone and registered again)."""
        for operator, assets in _ASSETS.items():
            client = self._client(operator, Role.PROVIDER)
            known = {asset["name"]: asset["id"] for asset in self._mine(client, orchestrator)}
            self._assets[operator] = []
            for name, kind, (lat, lon), characteristics, price in assets:
                asset_id = known.get(name)
                if asset_id is None:
                    body = {
                        "name": name,
                        "category": kind,
                        "place": {"id": f"geo:{lat},{lon}"},
                        "resourceCharacteristic": [
                            *characteristics,
                            {"name": "city", "value": "Trondheim"},
                            {"name": "orchestrator", "value": orchestrator},
                        ],
                    }
                    asset_id = self._call(client, "POST", _RESOURCE, body)["id"]
                self._assets[operator].append((asset_id, price))

    def _mine(self, client: MarketClient, orchestrator: str) -> list[dict[str, Any]]:
        me = str(client.identity.address) if client.identity is not None else ""
        listed = self._call(client, "GET", _RESOURCE)
        named = {"name": "orchestrator", "value": orchestrator}
        return [
            asset
            for asset in listed
            if any(party.get("id") == me for party in asset.get("relatedParty", []))
            and any(
                {"name": c.get("name"), "value": c.get("value")} == named
                for c in asset.get("resourceCharacteristic", [])
            )
        ]

    # -- running -----------------------------------------------------------------------

    def start(self) -> None:
        """Serve the marketplace, register the cast and their assets, run the orchestrator
        and the events' loop."""
        if self._market_server is not None:
            self._market_server.__enter__()
            self._opened.append(self._market_server)
        orchestrator_client = self._admit_orchestrator()
        # On a shared marketplace, which posts to no loopback callback, the orchestrator
        # learns of its orders by reading them every second instead of from the order hub.
        shared = self._market_server is None
        poll_s = 1.0 if shared else 10.0
        self.orchestrator = Orchestrator(orchestrator_client, clock=self._clock, poll_s=poll_s)
        server = ThreadedServer(create_listener_app(self.orchestrator), listener=self._listener)
        server.__enter__()
        self._orchestrator_server = server
        if not shared:
            self.orchestrator.subscribe(self.orchestrator_url)
        threading.Thread(
            target=self.orchestrator.run, name="demo-orchestrator", daemon=True
        ).start()
        self._register_assets(self.orchestrator.participant)
        self._client("Festival Media", Role.CONSUMER)
        self._thread = threading.Thread(target=self._events, name="demo-telco", daemon=True)
        self._thread.start()

    def _events(self) -> None:
        """An event every ``cycle_s``: offers, the coverage request, its order."""
        while True:
            try:
                self._event()
            except Exception as error:  # a demo's event that fails is logged, the next one runs
                log.warning("telco demo event: %s", error)
            if self._stop.wait(self.settings.cycle_s):
                return

    def _event(self) -> None:
        """The operators offer their assets for the next window; the festival asks for
        coverage, orders the best match and pays by a hold; the seller confirms."""
        start = self._clock.now_ms() + int(self.settings.lead_s * 1000)
        end = start + int(self.settings.window_s * 1000)
        window = {"startDateTime": _iso(start), "endDateTime": _iso(end)}
        for operator, assets in self._assets.items():
            for asset_id, price in assets:
                body = {
                    "resource": {"id": asset_id},
                    "validFor": window,
                    "productOfferingPrice": [{"price": {"value": price, "unit": "coin"}}],
                }
                self._call(self._clients[operator], "POST", _OFFERING, body)
        media = self._clients["Festival Media"]
        wanted = self._call(media, "POST", _REQUEST, _coverage(window))
        if not wanted["match"]:
            log.info("telco demo: no coverage matched the festival's request")
            return
        best = wanted["match"][0]
        offer = self._call(media, "GET", f"{_OFFERING}/{best['id']}")
        seller = next(p["id"] for p in offer["relatedParty"] if p["role"] == "seller")
        price = offer["productOfferingPrice"][0]["price"]["value"]
        hold_id = self._hold(media, seller, price, end)
        item = {"id": "1", "action": "add", "productOffering": {"id": best["id"]}}
        body = {
            "productOrderItem": [item],
            "productRequest": {"id": wanted["id"]},
            "payment": [{"id": hold_id, "@referredType": "HeldPayment"}],
        }
        order = self._call(media, "POST", _ORDER, body)
        self._call(self._of(seller), "PATCH", f"{_ORDER}/{order['id']}", {"state": "inProgress"})

    def _of(self, participant: str) -> MarketClient:
        """The cast's client signing as ``participant`` (the seller confirming its order)."""
        return next(
            client
            for client in self._clients.values()
            if client.identity is not None and str(client.identity.address) == participant
        )

    def _hold(self, media: MarketClient, seller: str, price: int, end_ms: int) -> str:
        """The festival's hold of the price for the operator, the marketplace as arbiter."""
        identity = media.identity
        assert identity is not None
        if self._ledger.balance(identity.address).amount < _LOW_FUNDS:
            grant = self._ledger.request_faucet(identity.address)
            self._ledger.wait_for_confirmation(grant.message_id, timeout_s=30.0)
        arbiter = Address.from_public_key(self.market.services.identity.signing.public_key.raw)
        held = compose_hold(
            self._ledger,
            identity.signing,
            seller,
            price,
            expires_at_ms=end_ms + 3_600_000,
            arbiter=arbiter,
        )
        self._ledger.submit(held.message.raw)
        self._ledger.wait_for_confirmation(held.message.id, timeout_s=30.0)
        return held.hold_id.hex()

    # -- reading -----------------------------------------------------------------------

    def urls(self, web: str) -> dict[str, str]:
        return {
            "telco marketplace": f"{web}/telco",
            "telco offerings (TMF620)": f"{self.url}/api/v1/market{_OFFERING}",
            "telco orchestrator's access list": f"{self.orchestrator_url}/access",
        }

    def summary(self) -> dict[str, int]:
        """Orders by state, the coins the operators were paid, the access granted now."""
        orders = self._orders()
        paid = sum(step.get("toPayee", 0) for order in orders for step in order.get("trail", []))
        access = self.orchestrator.access.entries() if self.orchestrator else []
        return {
            "telco_assets": self._count(_RESOURCE),
            "telco_orders": len(orders),
            "telco_orders_completed": sum(o["state"] == "completed" for o in orders),
            "telco_access_active": sum(entry.state.value == "active" for entry in access),
            "telco_coins_paid": paid,
        }

    def _orders(self) -> list[dict[str, Any]]:
        client = self._clients.get("Festival Media")
        if client is None:
            return []
        try:
            return list(self._call(client, "GET", _ORDER, None))
        except (RuntimeError, httpx.HTTPError):
            return []

    def _count(self, path: str) -> int:
        """How many the marketplace lists (its ``X-Total-Count``), 0 when it cannot say."""
        try:
            answer = self._http.get(f"{self.url}/api/v1/market{path}")
            return int(answer.headers.get("X-Total-Count", "0"))
        except httpx.HTTPError:
            return 0

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self.orchestrator is not None:
            self.orchestrator.stop()
            try:
                self.orchestrator.unsubscribe()
            except httpx.HTTPError:
                log.warning("the orchestrator could not leave the hub")
            self.orchestrator.close()
        if self._orchestrator_server is not None:
            self._orchestrator_server.stop()
        else:
            self._listener.close()
        for server in reversed(self._opened):
            server.stop()
        for client in self._clients.values():
            client.close()
        self._http.close()
        if self._market_server is not None:  # a shared marketplace is its owner's to close
            self.market.close()


def _registration(identity: Identity, market: MarketRuntime) -> SignedRegistration:
    return sign_registration(
        identity.signing,
        identity.encryption.public_key,
        display_name="orchestrator",
        roles=[Role.OPERATOR],
        audience=market.services.audience,
        clock=SystemClock(),
    )
