"""The streams vertical's commands: ``plaza sensor`` (the seller's agent) and ``plaza stream``
(the buyer's side), mounted by :mod:`plaza.verticals.streams`."""

from plaza.streams.commands.sensor import sensor_app
from plaza.streams.commands.stream import stream_app

__all__ = ["sensor_app", "stream_app"]
