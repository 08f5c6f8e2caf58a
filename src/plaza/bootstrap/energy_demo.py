"""``plaza demo``: the whole energy marketplace in one process, on embedded defaults.

One node (SQLite, its own coordinator, a faucet), the marketplace backend, the
bid manager, the user module and six simulated devices, each module its own
HTTP service on loopback (see :mod:`plaza.bootstrap.energy`), and the web app
(:mod:`plaza.bootstrap.web`: the public marketplace over the bid manager's book,
the explorer over the node, every API's docs, and the dashboard, whose people trade
at the one market's HTTP API, :mod:`plaza.bootstrap.market`, recording its twins on
the node, on a free port) on ``web_port``. Two owners:
Alice, funded from the faucet, owns two solar panels, a charging station, an
electric vehicle and a heat pump; Mallory owns a heat pump and never funds it,
so her unpaid energy shows the reminders and the claim. Both, and an auditor, have
accounts on the web app (``<name>@example.org``, ``auditor@example.org``: the market's
auditor role) whose generated passwords the first run prints (:attr:`EnergyDemo.logins`).

Simulated time runs fast: every ``tick_s`` of wall time the devices report one
15-minute slot of their profiles, from 07:00 on. Waits are short (``max_wait_ms``)
so a minute shows the whole lifecycle. Everything lives in ``data_dir``; a
second run reopens it (same keys, owners, devices and history) and carries on.
"""

from __future__ import annotations

import json
import threading
import time
import uuid as uuids
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plaza.adapters.ledger.local import LocalLedger
from plaza.agents.energy.devices import DeviceSimulator, SimulatedDevice
from plaza.agents.energy.profiles import (
    DAY_MS,
    SLOT_MS,
    ChargingStation,
    ElectricVehicle,
    HeatPump,
    Profile,
    SolarPanel,
)
from plaza.api import create_app
from plaza.api.energy.link import HttpLink
from plaza.api.serving import ThreadedServer, bind_listener
from plaza.bootstrap.accounts import DemoLogin, ensure_demo_accounts, oidc_providers, open_accounts
from plaza.bootstrap.clock import SystemClock
from plaza.bootstrap.energy import EnergyStack, StackSettings
from plaza.bootstrap.market import MarketRuntime, build_market
from plaza.bootstrap.node import build_node
from plaza.bootstrap.web import (
    EnergyAuditor,
    EnergyTwins,
    JoinedBook,
    MarketListings,
    OwnerDesk,
    PlacedBook,
    serve_web,
)
from plaza.energy.ledger import LedgerAccess
from plaza.energy.model import AssetType, TransactionStatus
from plaza.settings import MarketSettings, NodeSettings, WebSettings
from plaza.sqlite import private_folder
from plaza.web.tiles import TileServer

__all__ = ["DEMO_DEVICES", "DemoDevice", "DemoSettings", "EnergyDemo"]

_START_HOUR_MS = 7 * 3_600_000


@dataclass(frozen=True, slots=True)
class DemoDevice:
    name: str
    owner: str
    profile: Profile
    price: int  # base units per kWh: the provider's offer price, the consumer's limit
    min_amount_wh: int
    place: tuple[float, float]  # latitude, longitude: in Trondheim, for the map


DEMO_DEVICES = (
    DemoDevice("solar-roof", "alice", SolarPanel(1, peak_w=9_000), 20, 1_000, (63.4305, 10.3951)),
    DemoDevice("solar-barn", "alice", SolarPanel(2, peak_w=6_000), 18, 1_000, (63.3650, 10.3550)),
    DemoDevice(
        "charger", "alice", ChargingStation(3, capacity_w=11_000), 22, 1_000, (63.4400, 10.4450)
    ),
    DemoDevice("ev", "alice", ElectricVehicle(4, daily_wh=14_000), 30, 1_000, (63.4200, 10.4020)),
    DemoDevice("heat-pump", "alice", HeatPump(5, rated_w=5_000), 28, 1_000, (63.4150, 10.3800)),
    DemoDevice(
        "heat-pump-mallory", "mallory", HeatPump(6, rated_w=4_000), 28, 1_000, (63.4020, 10.4300)
    ),
)


_FUNDED = frozenset({"alice"})


@dataclass(frozen=True, slots=True)
class DemoSettings:
    data_dir: Path = Path(".plaza/demo")
    host: str = "127.0.0.1"
    node_port: int = 8650
    web_port: int = 8000  # the web app people use; 0: any free port
    tick_s: float = 1.0
    max_wait_ms: int = 3_000
    pow_difficulty: int = 8


def _node_settings(settings: DemoSettings, root: Path) -> NodeSettings:
    """The demo's node: SQLite, its own coordinator every second, a faucet for the owners."""
    return NodeSettings(
        data_dir=root / "node",
        store="sqlite",
        host=settings.host,
        port=settings.node_port,
        pow_difficulty=settings.pow_difficulty,
        milestone_interval_s=1.0,
        faucet_interval_s=0,
        faucet_requests_per_s=100.0,
    )


class EnergyDemo:
    """Start with :meth:`start`, read :meth:`summary` any time, end with :meth:`stop`."""

    def __init__(self, settings: DemoSettings) -> None:
        self.settings = settings
        self.root = settings.data_dir
        private_folder(self.root)  # its modules' keys, letters and devices' UUIDs
        self._clock = SystemClock()
        self._state_file = self.root / "demo.json"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.runtime = build_node(_node_settings(settings, self.root), clock=self._clock)
        self._node_server = ThreadedServer(
            create_app(self.runtime), listener=bind_listener(settings.host, settings.node_port)
        )
        self.node_url = self._node_server.url
        self.stack = EnergyStack(
            self.root / "energy",
            ledger=LedgerAccess(LocalLedger(self.runtime)),
            clock=self._clock,
            settings=StackSettings(host=settings.host),
        )
        self._link = HttpLink()
        self._simulator: DeviceSimulator | None = None
        self._serve_market(settings)
        try:
            self._serve_web(settings)
        except BaseException:
            self.market.close()
            raise

    def _serve_market(self, settings: DemoSettings) -> None:
        """The one market's HTTP API, where the dashboard's people trade (each order signed
        in their browser), its data in ``market/`` and its twins on the demo's node."""
        market = MarketSettings(
            data_dir=self.root / "market", host=settings.host, port=0, node_url=self.node_url
        )
        self.market: MarketRuntime = build_market(market, clock=self._clock)
        try:
            listener = bind_listener(settings.host, 0)
        except OSError:
            self.market.close()
            raise
        self._market_server = ThreadedServer(self.market.app(), listener=listener)

    def _serve_web(self, settings: DemoSettings) -> None:
        """The web app over the bid manager's book and the one market's listings (the other
        verticals' offers and requests), with the demo's accounts (in a market
        database of their own: ``accounts/``) and the OpenID Connect providers of
        ``PLAZA_WEB_OIDC_PROVIDERS``."""
        web = WebSettings()
        self._accounts, self._close_accounts = open_accounts(
            self.root / "accounts", self._clock, providers=oidc_providers(web.oidc_providers)
        )
        tiles = None if web.tile_url is None else TileServer(web.tile_url, web.tile_attribution)
        self.logins: list[DemoLogin] = []  # the accounts' logins, after start()
        bidmanager, marketplace = self.stack.bidmanager.service, self.stack.marketplace.service
        self._owner_desk = OwnerDesk(self.stack.owner.service)
        try:
            self._web_server, self._web_node = serve_web(
                JoinedBook(
                    PlacedBook(bidmanager.bidmanager.book, marketplace.records),
                    MarketListings(self.market.services.marketplace),
                ),
                self.node_url,
                host=settings.host,
                port=settings.web_port,
                twins=EnergyTwins(bidmanager.bids, marketplace.records, marketplace.marketplace),
                audits=EnergyAuditor(marketplace.records, marketplace.marketplace),
                apis={f"{name} API": url for name, url in self._api_urls().items()},
                accounts=self._accounts,
                market_url=self._market_server.url,
                tiles=tiles,
                vertical_services={"energy": self._owner_desk},
            )
        except OSError:
            self._close_accounts()
            raise
        self.web_url = self._web_server.url

    # -- starting ------------------------------------------------------------------------

    def start(self) -> None:
        """Serve the node and every module, onboard what is new, then run the devices."""
        self._node_server.__enter__()
        self._market_server.__enter__()
        self._web_server.__enter__()
        state = self._load_state()
        for device in DEMO_DEVICES:
            uuid = state["uuids"].setdefault(device.name, str(uuids.uuid4()))
            self.stack.add_asset(device.name, uuid)
        self._save_state(state)  # before onboarding: a device's UUID is its only secret
        self.stack.start(threads=True, cycle_s=0.5)
        self._onboard(state)
        self._save_state(state)
        for name, owner_id in state["owners"].items():  # their accounts see their devices
            self._owner_desk.ids[f"{name}@example.org"] = owner_id
        owners = sorted({device.owner for device in DEMO_DEVICES})
        self.logins = ensure_demo_accounts(self._accounts.service, owners)
        devices = [
            SimulatedDevice(
                d.name, self.stack.assets[d.name].url, state["uuids"][d.name], d.profile
            )
            for d in DEMO_DEVICES
        ]
        self._simulator = DeviceSimulator(devices, self._link)
        self._spawn(self._drive_devices)

    def _load_state(self) -> dict[str, Any]:
        if self._state_file.exists():
            loaded: dict[str, Any] = json.loads(self._state_file.read_text())
            return loaded
        return {"owners": {}, "devices": {}, "uuids": {}}

    def _save_state(self, state: dict[str, Any]) -> None:
        temporary = self._state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=2))
        temporary.chmod(0o600)
        temporary.replace(self._state_file)

    def _onboard(self, state: dict[str, Any]) -> None:
        owners = self.stack.owner.service
        for name in sorted({device.owner for device in DEMO_DEVICES}):
            if name not in state["owners"]:
                state["owners"][name] = owners.create_owner(name.capitalize()).owner.id
                if name in _FUNDED:
                    owners.add_funds(state["owners"][name])
        for device in DEMO_DEVICES:
            owner_id = state["owners"][device.owner]
            url = self.stack.assets[device.name].url
            known = state["devices"].get(device.name)
            if known is None:
                added = owners.add_device(owner_id, self._form(device, state, url))
                state["devices"][device.name] = added.id
            else:  # a second run: its URL, and the marketplace's, may have changed
                owners.update_device(owner_id, known, {"url": url})

    def _form(self, device: DemoDevice, state: dict[str, Any], url: str) -> dict[str, Any]:
        consumer = device.profile.type is AssetType.CONSUMER
        limit = {"maxEnergyPrice": device.price} if consumer else {}
        return {
            "type": str(device.profile.type),
            "name": device.name,
            "uuid": state["uuids"][device.name],
            "url": url,
            "location": "Trondheim ({:.4f}, {:.4f})".format(*device.place),
            "description": f"simulated {device.profile.kind}",
            "energyPrice": device.price,
            **limit,
            "minOfferAmount": device.min_amount_wh,
            "running": True,
            "dashboard": False,
            "maxWaitMs": self.settings.max_wait_ms,
            "paymentQueueProcessingSpeed": 500,
            "provisionMs": 0,
        }

    def _spawn(self, target: Any) -> None:
        thread = threading.Thread(target=target, name="plaza-demo", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _drive_devices(self) -> None:
        """Every tick, one 15-minute slot of simulated time, from 07:00 of today (UTC)."""
        assert self._simulator is not None
        now = self._clock.now_ms()
        simulated = now - now % DAY_MS + _START_HOUR_MS
        while not self._stop.wait(self.settings.tick_s):
            self._simulator.step(simulated, SLOT_MS)
            simulated += SLOT_MS

    # -- reading and stopping ------------------------------------------------------------

    def _api_urls(self) -> dict[str, str]:
        return {
            "node": self.node_url,
            "marketplace": self.stack.marketplace.url,
            "bid manager": self.stack.bidmanager.url,
            "user module": self.stack.owner.url,
            "market": self._market_server.url,
        }

    def urls(self) -> dict[str, str]:
        """Where the web app (``web``) and each module's API are served."""
        return {"web": self.web_url, **self._api_urls()}

    def summary(self) -> dict[str, Any]:
        """The demo's figures so far (every run on this data directory together)."""
        market = self.stack.marketplace.service.statistics()
        devices = self._simulator.statistics() if self._simulator else {}
        return {
            "offers": market["offers"],
            "requests": market["requests"],
            "contracts": market["contracts"],
            "contracts_paid": market["payments_confirmed"],
            "reminders": market["reminders"],
            "claims": market["claims"],
            "cancellations": market["cancellations"],
            "ledger_messages": self.runtime.store.message_count(),
            "meter_readings": devices.get("sent", 0),
        }

    def trade(self) -> dict[str, int | float | None]:
        """What the contracts so far come to: energy (Wh), value (coins) and the mean price
        (coins per kWh; None before any). It reads every contract, so the final summary
        has it and the live table does not."""
        records = self.stack.marketplace.service.records
        energy = value = 0
        for listed in records.contracts(limit=2**31):
            made = records.contract(listed.contract_id)
            if made is not None:
                energy += made.contract.transaction.energyAmount
                value += made.contract.value
        mean = round(value * 1000 / energy, 1) if energy else None
        return {
            "energy_contracted_wh": energy,
            "value_contracted_coins": value,
            "mean_price_coins_per_kwh": mean,
        }

    def audit_paid(self, *, limit: int = 3, within_s: float = 10.0) -> dict[str, int]:
        """Stop the devices, then audit the most recently paid contracts (the contract's twin
        and both parties' against the marketplace's database): the demo's trail on the
        ledger, checked. The last states of a twin are confirmed once a milestone reaches
        them, so the audit is repeated until it passes or ``within_s`` runs out."""
        self._stop.set()
        paid = sorted(
            {
                (record.idle_since_ms, record.state.contractId)
                for hosted in self.stack.assets.values()
                for record in hosted.service.store.records([TransactionStatus.PAYMENT_CONFIRMED])
            }
        )[-limit:]
        market = self.stack.marketplace.service
        deadline = time.monotonic() + within_s
        while True:
            ok = sum(market.audit(contract_id).ok for _, contract_id in paid)
            if ok == len(paid) or time.monotonic() > deadline:
                return {"audited": len(paid), "audits_ok": ok}
            time.sleep(0.5)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._web_server.stop()
        self._web_node.close()
        self._close_accounts()
        self._market_server.stop()
        self.market.close()
        self.stack.stop()
        self._link.close()
        self._node_server.stop()
        self.runtime.close()
