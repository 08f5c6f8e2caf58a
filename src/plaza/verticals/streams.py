"""The sensor data streams vertical (issue 12, PEGASUS), registered like any other.

Its kind, ``stream`` (:mod:`plaza.streams.kind`: seconds of access at a price
per hour, one buyer to one sensor), is what the marketplace applies to
``stream`` orders. A vertical mounts one command group under its name, and this
one has two audiences, so it is declared as two entry points:

* ``stream`` - the kind, its units, ``plaza stream`` (sensors, buy, follow,
  history, refunds) for buyers, and the pages (:mod:`plaza.verticals.streams_pages`:
  the sensors on a map and each sensor's page);
* ``sensor`` - ``plaza sensor run``, ``city`` and ``status``: the seller's agent, and a
  city of simulated sensors, which are its demo agents.
"""

from __future__ import annotations

from plaza.streams.city import City
from plaza.streams.commands import sensor_app, stream_app
from plaza.streams.kind import STREAM
from plaza.streams.sensor import SensorAgent
from plaza.verticals.model import Units, Vertical
from plaza.verticals.streams_pages import pages

__all__ = ["sensor_vertical", "vertical"]

vertical = Vertical(
    name="stream",
    summary="Sensor data streams: readings sold by the period, on restricted channels.",
    kinds=(STREAM,),
    commands=stream_app,
    pages=pages,
    units={STREAM.kind: Units(quantity="s", price="coins per hour", larger=("h", 3600))},
)

sensor_vertical = Vertical(
    name="sensor",
    summary="A city sensor selling its readings: announce, publish, grant, refund.",
    commands=sensor_app,
    agents={"sensor": SensorAgent.open, "city": City.start},
)
