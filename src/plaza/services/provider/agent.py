"""The provider agent: describe the service, answer quotes, run paid calls; repeat.

:meth:`ProviderAgent.open` brings a provider up from its data directory
(:class:`~plaza.services.provider.home.ProviderHome`): its identity, its public
channel (created once, reopened from its cursor afterwards) and its book.
:meth:`start` appends the description to the channel and announces it under
:data:`SERVICES_TAG` when it changed since the last time; :meth:`run` then steps
the desk (:class:`~plaza.services.provider.desk.CallDesk`) every ``poll_s`` until
told to stop; a node that stops answering is logged and retried. :meth:`quote`
is what the HTTP API (:mod:`plaza.services.provider.http`) answers with. Given a
``market``, it keeps the service listed there as a standing offer
(:mod:`plaza.services.listing`), so it shows on the marketplace's pages and in search.
Given an ``owner`` (a web account's user id), its description names that account, whose
provider's dashboard then lists the service, and every ``report_every_s`` it files the
reasons of its refunded calls, if they changed, for that dashboard
(:mod:`plaza.services.report`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import replace

from plaza.channels import (
    Channel,
    ChannelLedger,
    ChannelMode,
    Descriptor,
    LedgerAccessError,
    Publisher,
    announce,
)
from plaza.channels.cursors import SqliteCursorStore
from plaza.clients.errors import ClientError
from plaza.clients.market import MarketClient
from plaza.clock import Clock
from plaza.crypto import Address, Identity
from plaza.ledger.model import DataPayload
from plaza.services.calls import CONFIRMATION_ALLOWANCE_MS
from plaza.services.description import RECORD_FIELD, SERVICES_TAG, ServiceDescription
from plaza.services.errors import CallRefused
from plaza.services.listing import keep_listed
from plaza.services.provider.book import StoredQuote
from plaza.services.provider.desk import CallDesk
from plaza.services.provider.home import ProviderHome
from plaza.services.provider.sdk import Service
from plaza.services.quote import Quote
from plaza.services.report import FailureReport, encode_report, report_tag
from plaza.services.sealing import CALL_ID_SIZE
from plaza.wallet.holds import new_lock

__all__ = ["SERVICES_TAG", "ProviderAgent"]

log = logging.getLogger(__name__)

#: Quotes nobody paid are forgotten this long after their deadline, checked as often.
_STALE_QUOTE_MS = 60_000
#: How often the marketplace listing is checked (renewed if it ran low or left the book),
#: and how soon again after the marketplace did not answer.
_LISTING_CHECK_MS = 600_000
_LISTING_RETRY_MS = 10_000


class ProviderAgent:
    """One provider selling one service. Build it with :meth:`open`; stop :meth:`run` with
    its event; :meth:`close` it after."""

    def __init__(
        self,
        home: ProviderHome,
        gateway: ChannelLedger,
        service: Service,
        *,
        endpoint: str,
        clock: Clock,
        poll_s: float = 0.2,
        allowance_ms: int = CONFIRMATION_ALLOWANCE_MS,
        market: MarketClient | None = None,
        owner: str = "",
        report_every_s: float = 30.0,
    ) -> None:
        self.service, self._gateway, self._clock = service, gateway, clock
        self.market = market
        self.poll_s, self.allowance_ms = poll_s, allowance_ms
        self.report_every_s = report_every_s
        self._next_prune_ms = self._next_listing_ms = self._next_report_ms = 0
        self.identity = home.identity()
        self.book = home.book()
        self._store = home.cursors()
        try:
            self.publisher = _channel(gateway, self._store, self.identity, clock)
        except BaseException:
            self.close()
            raise
        self.address = Address.from_public_key(self.identity.public_key.raw)
        self.description = self._first_description(endpoint, owner)
        self.desk = CallDesk.of(
            gateway,
            self.identity,
            self.book,
            self.publisher,
            service,
            clock=clock,
            margin_ms=allowance_ms // 2,
        )

    def _first_description(self, endpoint: str, owner: str) -> ServiceDescription:
        """The service as its code declares it, with what only the provider knows: calls
        are paid to its address and sealed to its encryption key, quotes asked at
        ``endpoint``. :meth:`describe` announces it; later ones replace it."""
        return self.service.describe(
            pay_to=str(self.address),
            encryption_key=self.identity.encryption.public_key.raw.hex(),
            endpoint=endpoint,
            owner=owner,
        )

    def close(self) -> None:
        if hasattr(self, "desk"):
            self.desk.close()
        self._store.close()
        self.book.close()

    # -- describing ----------------------------------------------------------------------

    def describe(self, description: ServiceDescription | None = None) -> bool:
        """Append ``description`` (the current one by default) to the channel and announce
        it, unless that exact one was the last; say whether it did."""
        description = description or self.description
        content = description.encode()
        digest = hashlib.blake2b(content, digest_size=32).hexdigest()
        if self.book.fact("described") == digest:
            return False
        published = self.publisher.publish(content)
        channel = self.publisher.channel
        where = {RECORD_FIELD: str(published.position)}  # so the full one is found at once
        descriptor = Descriptor.of({**description.descriptor_fields(), **where})
        announce(
            self._gateway,
            channel,
            self.identity,
            descriptor,
            clock=self._clock,
            directory=SERVICES_TAG,
        )
        self.book.set_fact("described", digest)
        self.description = description
        log.info("service %s described on channel %s", description.name, channel.id.hex())
        return True

    def name_owner(self, owner: str) -> None:
        """Name the web account whose dashboard lists the service (``""``: none); the
        next :meth:`describe` announces it."""
        self.description = replace(self.description, owner=owner)

    def retire(self) -> None:
        """Say on the channel that the service is no longer sold; quotes are refused, and
        its listing in the marketplace is cancelled."""
        self.describe(self.description.retire())
        self.keep_listed()

    def keep_listed(self) -> str | None:
        """With a marketplace, keep the service listed there as a standing offer
        (:mod:`plaza.services.listing`); the offer's id, or None (no market, or retired)."""
        if self.market is None:
            return None
        channel = self.publisher.channel.id.hex()
        now = self._clock.now_ms()
        return keep_listed(self.market, self.book, self.description, channel, now)

    # -- quoting -------------------------------------------------------------------------

    def quote(self, call_id: bytes) -> Quote:
        """The quote for ``call_id``: the one given before, or a new one with a fresh secret,
        saved before it is answered. :class:`CallRefused` for a retired service."""
        if len(call_id) != CALL_ID_SIZE:
            raise CallRefused(call_id, f"a call id is {CALL_ID_SIZE} bytes")
        stored = self.book.quote(call_id)
        if stored is None:
            if self.description.retired:
                raise CallRefused(call_id, f"the service {self.service.name} is retired")
            lock, now = new_lock(), self._clock.now_ms()
            deadline = now + self.description.time_to_result_ms + self.allowance_ms
            fresh = StoredQuote(
                call_id,
                self.service.name,
                self.service.price,
                lock.secret,
                lock.hashlock,
                deadline,
                now,
            )
            stored = self.book.save_quote(fresh)
        return Quote.make(
            self.identity.signing,
            stored.call_id,
            service=stored.service,
            price=stored.price,
            hashlock=stored.hashlock,
            deadline_ms=stored.deadline_ms,
        )

    # -- running -------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Describe (once), then step every ``poll_s`` until ``stop``; ledger errors retried.
        The marketplace listing is kept apart: a marketplace that does not answer is
        retried later and never keeps the calls waiting."""
        described = False
        while not stop.is_set():
            try:
                if not described:
                    self.describe()
                    described = True
                self._keep_listed_now_and_then()
                self.desk.step()
                self._forget_stale_quotes()
                self._report_now_and_then()
            except (LedgerAccessError, ClientError) as error:
                log.warning("service %s: %s; retrying", self.service.name, error)
            stop.wait(self.poll_s)

    def _keep_listed_now_and_then(self) -> None:
        """Check the listing every :data:`_LISTING_CHECK_MS` (at once on start)."""
        now = self._clock.now_ms()
        if self.market is None or now < self._next_listing_ms:
            return
        self._next_listing_ms = now + _LISTING_CHECK_MS
        try:
            self.keep_listed()
        except ClientError as error:
            self._next_listing_ms = now + _LISTING_RETRY_MS
            log.warning("service %s: not listed: %s; retrying", self.service.name, error)

    def _forget_stale_quotes(self) -> None:
        """Once a minute, forget the quotes nobody paid whose deadline is a minute past."""
        now = self._clock.now_ms()
        if now >= self._next_prune_ms:
            self.book.forget_quotes(now - _STALE_QUOTE_MS)
            self._next_prune_ms = now + _STALE_QUOTE_MS

    # -- reporting -----------------------------------------------------------------------

    def failure_report(self) -> FailureReport:
        """Why its calls were refunded, from its book: what its owner's dashboard shows."""
        return FailureReport.of(self._clock.now_ms(), self.book.failure_reasons())

    def report_if_changed(self) -> bytes | None:
        """With an owner, file the failure report if it changed since the last one filed;
        its message id. A provider that never refunded a call files none; one without an
        owner files none at all (the reasons stay sealed to its customers)."""
        if not self.description.owner:
            return None
        report = self.failure_report()
        timeless = encode_report(replace(report, at_ms=0))
        digest = hashlib.blake2b(timeless, digest_size=16).hexdigest()
        last = self.book.fact("reported")
        if last == digest or (last is None and not report.reasons):
            return None
        payload = DataPayload(report_tag(self.publisher.channel.id), encode_report(report))
        filed = self._gateway.submit(self._gateway.compose(self.identity.signing, payload).raw)
        self.book.set_fact("reported", digest)
        return filed

    def _report_now_and_then(self) -> None:
        now = self._clock.now_ms()
        if now >= self._next_report_ms:
            self._next_report_ms = now + round(self.report_every_s * 1000)
            self.report_if_changed()  # a node that fails it: filed again next time

    def status(self) -> dict[str, object]:
        return {
            "service": self.service.name,
            "address": str(self.address),
            "channel": self.publisher.channel.id.hex(),
            "calls": self.book.counts(),
            "revenue": self.book.revenue(),
            "running": len(self.desk.jobs),
        }


def _channel(
    gateway: ChannelLedger, store: SqliteCursorStore, identity: Identity, clock: Clock
) -> Publisher:
    """The provider's publisher: its one saved channel reopened, or a new public channel."""
    saved = store.channel_ids()
    if saved:
        return Publisher.open(gateway, store, saved[0], clock=clock)
    return Publisher.create(
        gateway, store, Channel.create(ChannelMode.PUBLIC, identity), clock=clock
    )
