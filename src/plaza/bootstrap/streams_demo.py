"""The streams vertical in ``plaza demo``: a dozen city sensors and a buyer, on the demo's node.

The sensors are ``plaza sensor city``'s (:class:`plaza.streams.city.City`): air quality,
noise, parking and traffic on a spiral around the demo's city, announced under the streams
tag, so the web app's ``/streams`` pages and map list them, naming a demo account as their
owner (its ``/streams/mine`` shows them). They sell through the demo's marketplace only,
so every purchase is an order and a contract with its twins. The buyer is ``plaza stream
buy --market`` and ``history`` in a loop: it funds its wallet from the node's faucet, buys the
minimum period of two streams (a renewal when a grant has ended) as contracts, and reads
what its grants open. Everything lives under ``<data_dir>/streams``: a second run reopens
the same sensors, channels, wallet and key, and carries on.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from plaza.adapters.ledger.local import LocalLedger
from plaza.channels import ChannelError, Delivery, LedgerAccessError
from plaza.clients.errors import ClientError
from plaza.clients.market import MarketClient
from plaza.clock import Clock
from plaza.crypto import EncryptionKey
from plaza.keyfiles import identity_at, write_private
from plaza.market.auth import Role
from plaza.sqlite import private_folder
from plaza.streams.announcement import Sensor
from plaza.streams.buyer import discover, grants, history, wait_for_grant
from plaza.streams.city import City, city_configs
from plaza.streams.errors import StreamError
from plaza.streams.market import ensure_participant, pay_contract, request_stream
from plaza.wallet import KdfParams, Wallet, WalletError

__all__ = ["BOUGHT", "StreamsDemo", "StreamsSettings"]

log = logging.getLogger(__name__)

#: The streams the buyer buys: one air quality sensor, one traffic counter.
BOUGHT = ("air-01", "traffic-04")
#: Below this many base units the buyer asks the faucet again.
_LOW_FUNDS = 10_000


@dataclass(frozen=True, slots=True)
class StreamsSettings:
    """How many sensors, where, and how often they publish and the buyer reads."""

    sensors: int = 12
    latitude: float = 63.4305  # Trondheim, where the energy devices are too
    longitude: float = 10.3951
    interval_s: float = 5.0  # a reading per sensor: activity within the first minute
    poll_s: float = 1.0  # a sensor's look for payments
    read_s: float = 5.0  # the buyer's reads and renewals


class StreamsDemo:
    """Start with :meth:`start`, read :meth:`summary` any time, end with :meth:`stop`."""

    def __init__(
        self,
        root: Path,
        ledger: LocalLedger,
        clock: Clock,
        settings: StreamsSettings,
        *,
        market_url: str,
        owner: Callable[[], str] = lambda: "",
    ) -> None:
        """``owner`` gives the user id of the web account whose dashboard lists the
        sensors, asked at :meth:`start` (the demo's accounts are made by then)."""
        self.root = private_folder(root)
        self.settings = settings
        self._ledger, self._clock = ledger, clock
        self._market_url, self._owner = market_url, owner
        self._city: City | None = None
        self._buyer: StreamBuyer | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._buy_and_read, name="demo-buyer", daemon=True)

    def start(self) -> None:
        """Open the sensors (announced if new or changed) and run them; start the buyer."""
        configs = [
            replace(config, poll_s=self.settings.poll_s)
            for config in city_configs(
                self.settings.sensors,
                self.settings.latitude,
                self.settings.longitude,
                interval_s=self.settings.interval_s,
                owner=self._owner(),
            )
        ]
        market, clock = self._market_url, self._clock
        self._city = City.start(
            self.root / "city", self._ledger, configs, clock=clock, market_url=market
        )
        self._buyer = StreamBuyer.open(self.root / "buyer", self._ledger, clock, market)
        self._thread.start()

    def _buy_and_read(self) -> None:
        """Buy what has no running grant, read what the grants open; every ``read_s``."""
        assert self._buyer is not None
        while not self._stop.is_set():
            try:
                self._buyer.step(self._stop)
            except (
                StreamError,
                ChannelError,
                LedgerAccessError,
                WalletError,
                ClientError,
                TimeoutError,
            ) as e:
                log.warning("stream buyer: %s; retrying", e)
            self._stop.wait(self.settings.read_s)

    def urls(self, web: str) -> dict[str, str]:
        """The sensors have no API: the web app's ``/streams`` pages show them, and a map."""
        return {"city sensors": f"{web}/streams"}

    def summary(self) -> dict[str, int]:
        """Sensors running, the readings they published, the coins they were paid and the
        streams the buyer bought (renewals too), every run on this data directory; the
        readings the buyer read and the marketplace contracts it paid, this run."""
        agents = self._city.agents if self._city else []
        buyer = self._buyer
        return {
            "streams_sensors": len(agents),
            "streams_readings": sum(agent.publisher.position for agent in agents),
            "streams_bought": buyer.bought if buyer else 0,
            "streams_readings_read": buyer.read if buyer else 0,
            "streams_contracts_paid": buyer.contracts if buyer else 0,
            "streams_revenue_coins": sum(agent.book.revenue() for agent in agents),
        }

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        if self._city is not None:
            self._city.close()
        if self._buyer is not None:
            self._buyer.market.close()


class StreamBuyer:
    """``plaza stream buy --market`` and ``history`` as an agent: its wallet and X25519 key
    kept in its folder (the wallet's password beside it, 0600: a demo's, not a person's); its
    wallet's first address is its identity in the marketplace."""

    def __init__(
        self,
        wallet: Wallet,
        reader: EncryptionKey,
        ledger: LocalLedger,
        clock: Clock,
        market: MarketClient,
    ) -> None:
        self.wallet, self.reader, self.market = wallet, reader, market
        self._ledger, self._clock = ledger, clock
        self.bought = 0  # grants received for the streams it buys, every run
        self.read = 0  # readings read, this run
        self.contracts = 0  # marketplace contracts it paid and reported, this run
        self._seen: dict[str, int] = {}  # the next unread position of each stream
        self._registered = False  # as a consumer in the marketplace, this run

    @classmethod
    def open(cls, folder: Path, ledger: LocalLedger, clock: Clock, market_url: str) -> StreamBuyer:
        private_folder(folder)
        secret, path = folder / "wallet.password", folder / "wallet.json"
        if not secret.exists():
            write_private(secret, secrets.token_urlsafe(24).encode())
        password = secret.read_text()
        if path.exists():
            wallet = Wallet.open(path, password, gateway=ledger, clock=clock)
        else:
            wallet, _phrase = Wallet.create(
                path, password, gateway=ledger, clock=clock, kdf=KdfParams.INTERACTIVE
            )
        market = MarketClient(market_url, identity=wallet.export_identity())
        reader = identity_at(folder / "identity.key").encryption
        return cls(wallet, reader, ledger, clock, market)

    def step(self, stop: threading.Event) -> None:
        """Fund, then for each stream it buys: renew an ended grant, read what is new."""
        if self.wallet.balance().available < _LOW_FUNDS:
            self.wallet.request_faucet(wait=True)
        sensors = {sensor.announcement.name: sensor for sensor in discover(self._ledger)}
        bought = 0
        for name in BOUGHT:
            if stop.is_set() or name not in sensors:
                continue
            delivered = self._granted(sensors[name])
            bought += len(delivered)
            self._read(name, delivered[-1])
        self.bought = bought

    def _granted(self, sensor: Sensor) -> list[Delivery]:
        """The sensor's grants to this buyer, with a new one bought if none is running."""
        delivered = grants(self._ledger, self.reader, sensor)
        ends = max((d.reader_key.expires_at_ms or 0 for d in delivered), default=0)
        if ends > self._clock.now_ms():
            return delivered
        if not self._registered:
            ensure_participant(self.market, "demo stream buyer", Role.CONSUMER)
            self._registered = True
        seconds = -(-sensor.announcement.terms.minimum_ms // 1000)
        record = request_stream(self.market, sensor, seconds, self._clock.now_ms())
        paid = pay_contract(self.market, self.wallet, sensor, record, self.reader)
        wait_for_grant(self._ledger, self.reader, sensor, known=len(delivered), timeout_s=30.0)
        self.market.report_payment(record.id, paid.message_ids[0])
        self.contracts += 1
        return grants(self._ledger, self.reader, sensor)

    def _read(self, name: str, latest: Delivery) -> None:
        """Count the readings the latest grant opens that were not read before."""
        readings = history(self._ledger, self.reader, [latest])
        start = self._seen.get(name, 0)
        self.read += sum(1 for position, _ in readings if position >= start)
        if readings:
            self._seen[name] = readings[-1][0] + 1
