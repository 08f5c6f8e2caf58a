"""A sensor's public sales report: its revenue and its subscribers, for its owner's dashboard.

The sensor's own book is the only exact record of who holds access until when (a
renewal extends from the end the sensor had recorded, a payment made while it was
down from when it served it), so the sensor files what its owner's dashboard shows,
whenever it changed, under a tag derived from its channel id and issued by its
channel key (as the preview is)::

    tag  = BLAKE2b-256(channel_id, person="plaza-stream-rep")
    data = 0x01 || at_ms u64 || revenue u64 || refunded u64 || count u16
           || (reader 8 || ends_at_ms u64 || payments u32 || paid u64) * count

``reader`` is the first 8 bytes of a subscriber's X25519 key, which its payment carried
in clear on the ledger already, as the amounts did: the report makes public nothing the
ledger did not, it only says what the sensor made of it. At most :data:`MAX_SUBSCRIBERS`
are listed, those whose access ends last.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from plaza.crypto import blake2b
from plaza.streams.errors import InvalidMemo

__all__ = [
    "MAX_SUBSCRIBERS",
    "SalesReport",
    "Subscriber",
    "decode_report",
    "encode_report",
    "report_tag",
]

MAX_SUBSCRIBERS = 200
_VERSION = 1
_HEAD = struct.Struct("<BQQQH")
_ROW = struct.Struct("<8sQIQ")


@dataclass(frozen=True, slots=True)
class Subscriber:
    """One buyer as the sensor's book has it: its key's first bytes, its end, what it paid."""

    reader: bytes
    ends_at_ms: int
    payments: int
    paid: int

    def left_ms(self, now_ms: int) -> int:
        """Access left at ``now_ms`` (0: ended)."""
        return max(0, self.ends_at_ms - now_ms)


@dataclass(frozen=True, slots=True)
class SalesReport:
    """What a sensor sold as of ``at_ms``: coins kept, coins refunded, and its subscribers."""

    at_ms: int
    revenue: int
    refunded: int
    subscribers: tuple[Subscriber, ...]

    def active(self, now_ms: int) -> list[Subscriber]:
        return [s for s in self.subscribers if s.left_ms(now_ms) > 0]

    @classmethod
    def of(
        cls, at_ms: int, revenue: int, refunded: int, subscribers: Iterable[Subscriber]
    ) -> SalesReport:
        """The report, listing the :data:`MAX_SUBSCRIBERS` whose access ends last."""
        latest = sorted(subscribers, key=lambda s: (-s.ends_at_ms, s.reader))[:MAX_SUBSCRIBERS]
        listed = tuple(Subscriber(s.reader[:8], s.ends_at_ms, s.payments, s.paid) for s in latest)
        return cls(at_ms, revenue, refunded, listed)


def report_tag(channel_id: bytes) -> bytes:
    """Where a sensor files its reports (one lookup finds the latest)."""
    return blake2b(channel_id, person=b"plaza-stream-rep")


def encode_report(report: SalesReport) -> bytes:
    rows = report.subscribers[:MAX_SUBSCRIBERS]
    head = _HEAD.pack(_VERSION, report.at_ms, report.revenue, report.refunded, len(rows))
    body = b"".join(_ROW.pack(s.reader[:8], s.ends_at_ms, s.payments, s.paid) for s in rows)
    return head + body


def decode_report(data: bytes) -> SalesReport:
    """The report ``data`` holds; :class:`InvalidMemo` if it is not one."""
    if len(data) < _HEAD.size or data[0] != _VERSION:
        raise InvalidMemo("a sales report starts 0x01, its time, revenue, refunds and count")
    _, at_ms, revenue, refunded, count = _HEAD.unpack_from(data)
    if count > MAX_SUBSCRIBERS or len(data) != _HEAD.size + count * _ROW.size:
        raise InvalidMemo("a sales report's length disagrees with its count")
    rows = (Subscriber(*_ROW.unpack_from(data, _HEAD.size + at * _ROW.size)) for at in range(count))
    return SalesReport(at_ms, revenue, refunded, tuple(rows))
