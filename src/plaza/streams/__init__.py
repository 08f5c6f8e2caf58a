"""Sensor data streams (issue 12, PEGASUS): sensors sell their readings by the period.

A sensor announces itself under :data:`STREAMS_TAG` (name, place, data types,
terms, where to pay), publishes readings to a restricted channel, and answers a
confirmed payment of a marketplace contract for its stream (:mod:`.market`: every
purchase is an order and a contract there), which carries the buyer's X25519 key,
with a grant for the current key epoch sealed to that key, until the period paid
for ends. The domain here is
pure: the announcement (:mod:`.announcement`), the subscription rule
(:mod:`.terms`), transfer memos (:mod:`.memo`) and readings (:mod:`.readings`).
The sensor agent and the buyer's side are :mod:`.sensor` and :mod:`.buyer`;
``docs/streams.md`` tells the whole story.
"""

from plaza.streams.announcement import (
    STREAMS_TAG,
    DataType,
    Sensor,
    SensorAnnouncement,
    sensor_from,
)
from plaza.streams.errors import InvalidAnnouncement, InvalidMemo, InvalidTerms, StreamError
from plaza.streams.memo import PAYMENT_TAG, REFUND_TAG, PaymentMemo, RefundMemo
from plaza.streams.readings import PROFILES, Reading, SimulatedProfile, to_csv, to_json
from plaza.streams.terms import Bought, Refund, Subscription, Terms, entitled, extend, purchase

__all__ = [
    "PAYMENT_TAG",
    "PROFILES",
    "REFUND_TAG",
    "STREAMS_TAG",
    "Bought",
    "DataType",
    "InvalidAnnouncement",
    "InvalidMemo",
    "InvalidTerms",
    "PaymentMemo",
    "Reading",
    "Refund",
    "RefundMemo",
    "Sensor",
    "SensorAnnouncement",
    "SimulatedProfile",
    "StreamError",
    "Subscription",
    "Terms",
    "entitled",
    "extend",
    "purchase",
    "sensor_from",
    "to_csv",
    "to_json",
]
