"""``plaza demo``: every vertical on one node, in one process.

:class:`~plaza.bootstrap.energy_demo.EnergyDemo` owns the node (SQLite, its own
coordinator, a faucet), the energy stack and the web app; the other verticals' demos
(:mod:`plaza.bootstrap.streams_demo`: a dozen city sensors and a buyer;
:mod:`plaza.bootstrap.services_demo`: three services and a customer;
:mod:`plaza.bootstrap.telco_demo`: two operators' assets, a festival's coverage and the
orchestrator, on the demo's marketplace, which the web app's telco pages show) run their
agents on that same node, in process, funded from its faucet, each in a folder of its own under the
data directory. Each contributes its figures to :meth:`Demo.summary`. A vertical's
settings set to None leaves it out (the browser tests run the energy demo alone).
"""

from __future__ import annotations

from typing import Any, Protocol

from plaza.adapters.ledger.local import LocalLedger
from plaza.bootstrap.clock import SystemClock
from plaza.bootstrap.energy_demo import DemoSettings, EnergyDemo
from plaza.bootstrap.services_demo import ServicesDemo, ServicesSettings
from plaza.bootstrap.streams_demo import StreamsDemo, StreamsSettings
from plaza.bootstrap.telco_demo import TelcoDemo, TelcoSettings

__all__ = ["Demo", "ServicesSettings", "StreamsSettings", "TelcoSettings", "VerticalDemo"]


class VerticalDemo(Protocol):
    """A vertical's part of the demo: started after the node, stopped before it."""

    def start(self) -> None: ...

    def summary(self) -> dict[str, int]: ...

    def urls(self, web: str) -> dict[str, str]: ...

    def stop(self) -> None: ...


class Demo:
    """Start with :meth:`start`, read :meth:`summary` any time, end with :meth:`stop`."""

    def __init__(
        self,
        settings: DemoSettings,
        *,
        streams: StreamsSettings | None = None,
        services: ServicesSettings | None = None,
        telco: TelcoSettings | None = None,
    ) -> None:
        self.energy = EnergyDemo(settings)
        ledger, clock, root = LocalLedger(self.energy.runtime), SystemClock(), settings.data_dir
        self.verticals: dict[str, VerticalDemo] = {}
        if streams is not None:
            market = self.energy.urls()["market"]
            self.verticals["streams"] = StreamsDemo(
                root / "streams", ledger, clock, streams, market_url=market, owner=self._owner
            )
        if services is not None:
            market = self.energy.urls()["market"]
            self.verticals["services"] = ServicesDemo(
                root / "services", ledger, clock, services, market_url=market, owner=self._owner
            )
        if telco is not None:
            node, shared = self.energy.node_url, (self.energy.market, self.energy.urls()["market"])
            self.verticals["telco"] = TelcoDemo(
                root / "telco", ledger, clock, node, telco, market=shared
            )

    def _owner(self) -> str:
        """The user id of the demo's first owner's web account (alice's, made when the
        energy demo starts): the city sensors and the service providers name it, so its
        ``/streams/mine`` and ``/services/my/services`` list them."""
        return self.energy.logins[0].user_id

    def start(self) -> None:
        """The energy demo (the node and the web app with it), then the other verticals."""
        self.energy.start()
        for vertical in self.verticals.values():
            vertical.start()

    def urls(self) -> dict[str, str]:
        """Where to look at the other verticals: their pages on the web app, their agents'
        APIs; by what a person would look at."""
        web = self.energy.web_url
        return {
            name: url
            for vertical in self.verticals.values()
            for name, url in vertical.urls(web).items()
        }

    def summary(self) -> dict[str, Any]:
        """Every vertical's figures so far (every run on this data directory together)."""
        figures = self.energy.summary()
        for vertical in self.verticals.values():
            figures.update(vertical.summary())
        return figures

    def stop(self) -> None:
        """The other verticals first (their agents use the node), then the energy demo; a
        vertical that did not start closes what it opened."""
        for vertical in reversed(self.verticals.values()):
            vertical.stop()
        self.energy.stop()
