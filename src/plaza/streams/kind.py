"""The ``stream`` kind: access to a sensor's readings, as the one marketplace trades it.

``quantity`` is seconds of access and ``unit_price`` base units per hour of it,
so a contract costs ``ceil(quantity * unit_price / 3600)``: what a sensor
charging that much an hour takes for that long (:mod:`plaza.streams.terms` rounds
the other way, time down for a given amount, so neither side gains a unit).
An offer names its sensor's channel (``channel``: the 64-hex channel id); a
request may require one. A subscription lasts at most ten years. Matching is one
to one: a purchase is one buyer's access to one sensor.
"""

from __future__ import annotations

import re

from plaza.market.errors import InvalidOrder
from plaza.market.kinds import KindRules
from plaza.market.model import NewOrder, Side
from plaza.streams.terms import MAX_PERIOD_MS

__all__ = ["CHANNEL", "STREAM", "StreamKind"]

#: The attribute naming an offer's sensor channel (its id, 64 hex digits).
CHANNEL = "channel"
_HOUR_S = 3600
_MAX_SECONDS = MAX_PERIOD_MS // 1000
_CHANNEL_ID = re.compile(r"[0-9a-f]{64}")


class StreamKind(KindRules):
    """Seconds of a sensor's stream at a price per hour, one buyer to one sensor."""

    kind = "stream"
    policy = "one_to_one"

    def check_order(self, spec: NewOrder) -> None:
        if spec.quantity > _MAX_SECONDS:
            raise InvalidOrder(f"quantity is seconds of access, at most {_MAX_SECONDS} (ten years)")
        channel = dict(spec.attributes).get(CHANNEL)
        wanted = dict(spec.requirements.attributes).get(CHANNEL)
        if channel is None and spec.side is Side.OFFER:
            raise InvalidOrder(f"an offer names its sensor's channel in {CHANNEL!r}")
        for value in (channel, wanted):
            if value is not None and not (isinstance(value, str) and _CHANNEL_ID.fullmatch(value)):
                raise InvalidOrder(f"{CHANNEL!r} is a channel id: 64 lower-case hex digits")

    def contract_value(self, quantity: int, unit_price: int) -> int:
        return -(-quantity * unit_price // _HOUR_S)


#: The stream kind.
STREAM = StreamKind()
