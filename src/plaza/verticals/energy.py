"""The built-in energy vertical, registered through the same entry point as any other.

Its kind (:mod:`plaza.energy.kind`: watt-hours at a price per kWh, one-to-one
matching) is what the marketplace applies to ``energy`` orders. Its seed-wire
services keep their own apps and ``plaza demo`` its own wiring
(:mod:`plaza.bootstrap.energy_demo`) while the energy backend moves onto the
market; its commands are ``plaza simulate energy`` and ``plaza energy asset run``,
which ``plaza`` mounts itself (:mod:`plaza.cli.energy`: they run modules, so they need
the composition root, which a vertical may not import). The device simulators are
declared as its demo agents.
"""

from __future__ import annotations

from plaza.agents.energy.devices import DeviceSimulator, MeterPublisher
from plaza.energy.kind import ENERGY
from plaza.verticals.energy_pages import pages
from plaza.verticals.model import Units, Vertical

__all__ = ["vertical"]

vertical = Vertical(
    name="energy",
    summary="Energy between devices: the seed's offers, requests, contracts and settlement.",
    kinds=(ENERGY,),
    agents={"meters": DeviceSimulator, "mqtt-meters": MeterPublisher},
    pages=pages,
    units={ENERGY.kind: Units(quantity="Wh", price="coins per kWh", larger=("kWh", 1000))},
)
