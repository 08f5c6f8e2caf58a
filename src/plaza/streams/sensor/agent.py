"""The sensor agent: announce, publish a reading every interval, serve payments; repeat.

:meth:`SensorAgent.open` brings up a sensor from its data directory
(:class:`~plaza.streams.sensor.home.SensorHome`): its identity and wallet, its
restricted channel (created once, then reopened from its saved cursor, so a
restart continues the chain where it stopped) and its book. :meth:`run` then
announces if the announcement changed since the last one, finishes what a crash
left half-done, and loops: serve confirmed payments (every ``poll_s``), publish
a reading (every ``interval_s``; the publisher first leaves ended subscriptions
out of a new key epoch). A node that stops answering is logged and retried; the
loop keeps its rhythm.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from plaza.channels import (
    Channel,
    ChannelLedger,
    ChannelMode,
    LedgerAccessError,
    Published,
    Publisher,
    announce,
)
from plaza.channels.cursors import SqliteCursorStore
from plaza.clients.errors import ClientError
from plaza.clients.market import MarketClient
from plaza.clock import Clock
from plaza.crypto import Identity
from plaza.ledger.model import DataPayload
from plaza.market.auth import Role
from plaza.streams.announcement import OWNER, STREAMS_TAG, SensorAnnouncement
from plaza.streams.market import ensure_participant, standing_offer
from plaza.streams.preview import encode_preview, preview_tag
from plaza.streams.readings import PROFILES
from plaza.streams.report import SalesReport, encode_report, report_tag
from plaza.streams.sensor.book import SensorBook
from plaza.streams.sensor.home import SensorHome
from plaza.streams.sensor.payments import PaymentDesk
from plaza.streams.sources import ReadingSource
from plaza.streams.terms import Terms
from plaza.wallet import Wallet, WalletError, WalletLedger

__all__ = ["SensorAgent", "SensorConfig", "SensorLedger"]

log = logging.getLogger(__name__)

#: Readings whose times a preview shows.
_PREVIEWED = 10


class SensorLedger(ChannelLedger, WalletLedger, Protocol):
    """The ledger as a sensor uses it: channels' reading and writing, and its wallet's."""


@dataclass(frozen=True, slots=True)
class SensorConfig:
    """What a sensor announces and how often it publishes and looks for payments."""

    name: str
    latitude: float
    longitude: float
    terms: Terms
    description: str = ""
    profile: str = "air"
    seed: int = 0
    interval_s: float = 20.0
    poll_s: float = 0.5
    directory: bytes = field(default=STREAMS_TAG)
    #: Serve direct payments (PEGASUS's, which make no order in the marketplace) rather than
    #: refund them: only ``plaza bench streams`` sets it, to measure the channel layer
    #: (publishing, key epochs, sealed grants) with no marketplace in the loop.
    channel_bench: bool = False
    #: Readings between two public previews of their times (0: none).
    preview_every: int = 10
    #: The web account whose dashboard lists the sensor (its user id; "": none).
    owner: str = ""
    #: The least seconds between two sales reports for the owner's dashboard (0: none).
    report_every_s: float = 5.0

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}: one of {', '.join(PROFILES)}")
        if not (self.interval_s > 0 and self.poll_s > 0):
            raise ValueError("the publishing interval and the payment poll must be positive")
        if self.owner and not OWNER.fullmatch(self.owner):
            raise ValueError(f"the owner {self.owner[:40]!r} is not a user id (usr_…)")
        if self.report_every_s < 0:
            raise ValueError("the sales report's interval is 0 (none) or positive")


class SensorAgent:
    """One running sensor. Build it with :meth:`open`; stop :meth:`run` with its event."""

    def __init__(
        self,
        config: SensorConfig,
        gateway: SensorLedger,
        parts: _Parts,
        *,
        clock: Clock,
        market: MarketClient | None = None,
        source: ReadingSource | None = None,
    ) -> None:
        self.config, self._gateway, self._clock = config, gateway, clock
        self.identity, self.wallet, self.publisher = parts.identity, parts.wallet, parts.publisher
        self._store, self.book = parts.store, parts.book
        self.source: ReadingSource = source or PROFILES[config.profile](config.seed)
        self.desk = PaymentDesk(
            gateway,
            self.wallet,
            self.book,
            self.publisher,
            self.identity,
            terms=config.terms,
            clock=clock,
            market=market,
            channel_bench=config.channel_bench,
        )
        self._next_reading_ms = 0
        self._report_due, self._next_report_ms = True, 0
        self._recent: deque[int] = deque(maxlen=_PREVIEWED)
        self.market = market

    @classmethod
    def open(
        cls,
        home: SensorHome,
        gateway: SensorLedger,
        config: SensorConfig,
        *,
        clock: Clock,
        market_url: str | None = None,
        source: ReadingSource | None = None,
    ) -> SensorAgent:
        """The sensor of ``home``: its channel created on first run, reopened afterwards.
        It sells through the marketplace at ``market_url``, signing as its identity (without
        one it publishes and refunds what it is paid); its readings come from ``source``
        (by default the config's simulated profile)."""
        store, book = home.cursors(), home.book()
        try:
            wallet = home.wallet(gateway, clock=clock)
            identity = wallet.export_identity()
            publisher = _channel(gateway, store, identity, clock)
        except BaseException:
            store.close()
            book.close()
            raise
        parts = _Parts(identity, wallet, publisher, store, book)
        market = None if market_url is None else MarketClient(market_url, identity=identity)
        return cls(config, gateway, parts, clock=clock, market=market, source=source)

    def close(self) -> None:
        self.source.close()
        if self.market is not None:
            self.market.close()
        self._store.close()
        self.book.close()

    # -- announcing ------------------------------------------------------------------------

    def announcement(self) -> SensorAnnouncement:
        config = self.config
        return SensorAnnouncement(
            name=config.name,
            latitude=config.latitude,
            longitude=config.longitude,
            description=config.description,
            data_types=self.source.data_types,
            terms=config.terms,
            pay_to=self.desk.address,
            encryption_key=self.identity.encryption.public_key,
            owner=config.owner,
        )

    def announce_if_changed(self) -> bool:
        """Announce unless the same announcement is on the ledger already; say if it did."""
        announcement = self.announcement()
        digest = hashlib.blake2b(
            self.config.directory + b"\0" + announcement.canonical_bytes(), digest_size=32
        ).hexdigest()
        if self.book.fact("announced") == digest:
            return False
        channel = self.publisher.channel
        descriptor = announcement.descriptor()
        announce(
            self._gateway,
            channel,
            self.identity,
            descriptor,
            clock=self._clock,
            directory=self.config.directory,
        )
        self.book.set_fact("announced", digest)
        log.info("sensor %s announced its channel %s", self.config.name, channel.id.hex())
        return True

    # -- running ---------------------------------------------------------------------------

    def publish_reading(self) -> Published | None:
        """Publish the source's reading for now (None when it had nothing new), and every
        ``preview_every`` readings the public preview of the last ones' times."""
        reading = self.source.reading(self._clock.now_ms())
        if reading is None:
            return None
        published = self.publisher.publish(reading.encode())
        self._recent.append(reading.at_ms)
        every = self.config.preview_every
        if every and self.publisher.state.data_count % every == 0:
            self.publish_preview()
        return published

    def publish_preview(self) -> bytes:
        """File the times of the last readings under the preview tag; the message id."""
        channel = self.publisher.channel
        payload = DataPayload(preview_tag(channel.id), encode_preview(list(self._recent)))
        return self._gateway.submit(self._gateway.compose(channel.signing, payload).raw)

    def sales_report(self) -> SalesReport:
        """What the owner's dashboard shows, from the book: revenue, refunds, subscribers."""
        book = self.book
        return SalesReport.of(
            self._clock.now_ms(), book.revenue(), book.refunded(), book.subscribers()
        )

    def report_if_changed(self) -> bytes | None:
        """File the sales report if it changed since the last one filed; its message id.
        A sensor that never sold nor refunded anything files none."""
        report = self.sales_report()
        body = encode_report(report)[9:]  # all but the version and the time
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        last = self.book.fact("reported")
        if last == digest or (last is None and not (report.subscribers or report.refunded)):
            return None
        channel = self.publisher.channel
        payload = DataPayload(report_tag(channel.id), encode_report(report))
        filed = self._gateway.submit(self._gateway.compose(channel.signing, payload).raw)
        self.book.set_fact("reported", digest)
        return filed

    def step(self) -> None:
        """Serve the payments confirmed since the last step, then publish if a reading is due,
        and a sales report if one is due and the sales changed."""
        self._report_due |= any(p.state != "ignored" for p in self.desk.scan())
        now = self._clock.now_ms()
        if now >= self._next_reading_ms:
            self.publish_reading()
            self._next_reading_ms = now + round(self.config.interval_s * 1000)
        every = self.config.report_every_s
        if every and self._report_due and now >= self._next_report_ms:
            self._next_report_ms = now + round(every * 1000)
            self.report_if_changed()  # a node that fails it: filed again after ``every``
            self._report_due = False

    def start(self) -> None:
        """What a (re)start does once: announce if needed, keep an offer in the marketplace,
        finish a crash's leftovers."""
        self.announce_if_changed()
        if self.market is not None:
            self.keep_offer(self.market)
        self.desk.finish_unfinished()

    def keep_offer(self, market: MarketClient) -> str:
        """Register as a provider if needed and keep a standing offer open; its order id."""
        ensure_participant(market, self.config.name, Role.PROVIDER)
        channel_id = self.publisher.channel.id.hex()
        now, known = self._clock.now_ms(), self.book.fact("offer")
        offer = standing_offer(market, channel_id, self.announcement(), now, known)
        if offer != known:
            self.book.set_fact("offer", offer)
            log.info("sensor %s offers its stream in the marketplace: %s", self.config.name, offer)
        return offer

    def run(self, stop: threading.Event) -> None:
        """Start, then step every ``poll_s`` until ``stop`` is set. What the node, the market or
        the wallet could not do is logged and retried on the next step (a payment half-served
        stays in the book until it is finished)."""
        started = False
        while not stop.is_set():
            try:
                if not started:
                    self.start()
                    started = True
                self.step()
            except (LedgerAccessError, ClientError, WalletError) as error:
                log.warning("sensor %s: %s; retrying", self.config.name, error)
            stop.wait(self.config.poll_s)


@dataclass(frozen=True, slots=True)
class _Parts:
    identity: Identity
    wallet: Wallet
    publisher: Publisher
    store: SqliteCursorStore
    book: SensorBook


def _channel(
    gateway: ChannelLedger, store: SqliteCursorStore, identity: Identity, clock: Clock
) -> Publisher:
    """The sensor's publisher: its one saved channel reopened, or a new restricted channel."""
    saved = store.channel_ids()
    if saved:
        return Publisher.open(gateway, store, saved[0], clock=clock)
    channel = Channel.create(ChannelMode.RESTRICTED, identity)
    return Publisher.create(gateway, store, channel, clock=clock)
