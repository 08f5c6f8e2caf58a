"""The buyer's side: find sensors, pay for a stream, collect grants, read and follow.

Discovery reads every announcement under the streams tag, keeps those whose
signatures verify and whose descriptor is a sensor's, the latest per sensor
(:func:`discover`). A purchase is a marketplace contract
(:func:`plaza.streams.market.request_stream`), paid to the sensor's address with
the buyer's X25519 key beside it (:func:`plaza.streams.market.pay_contract`); a
direct payment naming the stream and the key (:func:`buy`, the PEGASUS way, which
makes no order) is refunded, except by the sensors of ``plaza bench streams``. The
sensor answers with a grant sealed to that key in the buyer's inbox
(:func:`grants`, :func:`wait_for_grant`). A buyer with several grants (a renewal
after a lapse) reads each from its position: :func:`history` reads what is on
the ledger, skipping epochs it was not granted, and :func:`follow` follows live.
The buyer's keys never leave it: only the public half travels, in the transfer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from plaza.channels import (
    AccessEnded,
    ChannelLedger,
    Delivery,
    Reader,
    find_announcements,
    open_inbox,
)
from plaza.crypto import EncryptionKey
from plaza.ledger.model import TransferPayload
from plaza.ledger.ports import LedgerReader
from plaza.streams.announcement import STREAMS_TAG, Sensor, sensor_from
from plaza.streams.errors import InvalidAnnouncement, InvalidMemo, StreamError
from plaza.streams.memo import PAYMENT_TAG, REFUND_TAG, PaymentMemo, RefundMemo
from plaza.streams.readings import Reading
from plaza.wallet import Payment, Wallet

__all__ = [
    "Refunded",
    "UnknownSensor",
    "buy",
    "discover",
    "find_sensor",
    "follow",
    "grants",
    "history",
    "refunds",
    "wait_for_grant",
]


class UnknownSensor(StreamError):
    code = "unknown_sensor"


def discover(
    gateway: LedgerReader, *, directory: bytes = STREAMS_TAG, limit: int = 1000
) -> list[Sensor]:
    """Every sensor announced under ``directory``: verified, the latest of each, newest first."""
    sensors = []
    for announcement in find_announcements(gateway, directory=directory, limit=limit):
        try:
            sensors.append(sensor_from(announcement))
        except InvalidAnnouncement:
            continue
    return sensors


def find_sensor(sensors: list[Sensor], text: str) -> Sensor:
    """The one sensor ``text`` names: its name, or a prefix of its id."""
    wanted = text.lower()
    matches = [s for s in sensors if s.announcement.name == text or s.id.startswith(wanted)]
    if len(matches) != 1:
        why = "no sensor has that name or id" if not matches else "several sensors match"
        raise UnknownSensor(f"sensor {text!r}: {why}")
    return matches[0]


def buy(
    wallet: Wallet, sensor: Sensor, reader: EncryptionKey, amount: int, *, timeout_s: float = 30.0
) -> Payment:
    """Pay ``amount`` for ``sensor``'s stream directly, asking for the grant to be sealed to
    ``reader``; returns once the payment is confirmed. It makes no order, so only a sensor
    of ``plaza bench streams`` (the channel layer's benchmark) serves it; any other refunds it."""
    memo = PaymentMemo(sensor.channel_id, reader.public_key).encode()
    pay_to = sensor.announcement.pay_to
    return wallet.send(pay_to, amount, tag=PAYMENT_TAG, data=memo, wait=True, timeout_s=timeout_s)


def grants(gateway: LedgerReader, reader: EncryptionKey, sensor: Sensor) -> list[Delivery]:
    """The grants ``sensor`` sealed to ``reader`` for its stream, oldest first."""
    delivered = open_inbox(gateway, reader, limit=1000)
    mine = [
        d
        for d in delivered
        if d.sender == sensor.owner and d.reader_key.channel_id == sensor.channel_id
    ]
    return sorted(mine, key=lambda d: (d.issued_at_ms, d.reader_key.position))


def wait_for_grant(
    gateway: LedgerReader,
    reader: EncryptionKey,
    sensor: Sensor,
    *,
    known: int = 0,
    timeout_s: float = 30.0,
    poll_s: float = 0.1,
) -> Delivery:
    """The newest grant once there are more than ``known``; ``TimeoutError`` otherwise."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = grants(gateway, reader, sensor)
        if len(found) > known:
            return found[-1]
        if time.monotonic() >= deadline:
            raise TimeoutError(f"no grant from sensor {sensor.id[:16]} within {timeout_s} s")
        time.sleep(poll_s)


def history(
    gateway: ChannelLedger, reader: EncryptionKey, deliveries: list[Delivery]
) -> list[tuple[int, Reading]]:
    """Every reading the grants open, by channel position; epochs not granted are skipped."""
    readings: dict[int, Reading] = {}
    position = 0
    for delivery in deliveries:
        if delivery.reader_key.position < position:
            continue  # an older grant already read past its start
        cursor = Reader(gateway, delivery.reader_key, encryption_key=reader)
        try:
            for entry in cursor.read():
                readings[entry.position] = Reading.decode(entry.content)
        except AccessEnded:
            pass
        position = cursor.position
    return sorted(readings.items())


def follow(
    gateway: ChannelLedger, reader: EncryptionKey, delivery: Delivery
) -> Iterator[tuple[int, Reading]]:
    """Readings from ``delivery``'s position on, live, until the access ends
    (:class:`~plaza.channels.AccessEnded`: buy again to go on)."""
    cursor = Reader(gateway, delivery.reader_key, encryption_key=reader)
    for entry in cursor.follow():
        yield entry.position, Reading.decode(entry.content)


@dataclass(frozen=True, slots=True)
class Refunded:
    """A refund a sensor sent back: for which payment, how much, and why."""

    message_id: bytes
    payment_id: bytes
    amount: int
    reason: str


def refunds(gateway: LedgerReader, wallet: Wallet) -> list[Refunded]:
    """Refunds paid to the wallet's addresses, newest first."""
    found = []
    for line in wallet.history(None, limit=200):
        movement = line.movement
        message = gateway.message(movement.message_id) if movement.delta > 0 else None
        payload = None if message is None else message.payload
        if not isinstance(payload, TransferPayload) or payload.tag != REFUND_TAG:
            continue
        try:
            memo = RefundMemo.decode(payload.data)
        except InvalidMemo:
            continue
        found.append(Refunded(movement.message_id, memo.payment_id, movement.delta, memo.reason))
    return found
