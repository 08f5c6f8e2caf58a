"""The channels behind the marketplace's twins: created, announced, keyed, reopened, cached.

Both twin writers use it: :class:`~plaza.market.twins.recorder.ChannelTwins` (each state
written as it happens) and :class:`~plaza.market.twins.publisher.OutboxPublisher` (states
committed to an outbox first, written in batches). What differs between them is how they
learn, after a crash, which documents went out past the directory's position, so that
step is theirs: :meth:`TwinChannels.open` hands a freshly reopened publisher to the
caller's ``catch_up`` before caching it.

A twin is set up once: announced under ``"plaza-twin:" || channel_id`` (both keys sign)
and its parties' and auditors' keys delivered; if interrupted, it is set up again,
harmlessly, because ``ready`` is only stored once all of it went out.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace

from plaza.channels import (
    CarrierWriter,
    Channel,
    ChannelLedger,
    ChannelMode,
    CursorStore,
    Descriptor,
    Publisher,
    ReaderKey,
    announce,
    deliver,
)
from plaza.clock import Clock
from plaza.crypto import EncryptionPublicKey, Identity
from plaza.market.twins.documents import SCHEMA, TwinKind
from plaza.market.twins.lookup import announcement_tag
from plaza.market.twins.ports import PartyKeys, TwinDirectory, TwinRecord

__all__ = ["CatchUp", "TwinChannels"]

log = logging.getLogger(__name__)

#: What a writer does with a publisher it just reopened: bring the record up to the ledger.
CatchUp = Callable[[TwinRecord, Publisher], TwinRecord]


class TwinChannels:
    """Twin channels of one marketplace identity and cursor store; not thread-safe by itself
    (each writer holds its own lock around it)."""

    def __init__(
        self,
        *,
        identity: Identity,
        gateway: ChannelLedger,
        cursors: CursorStore,
        directory: TwinDirectory,
        clock: Clock,
        parties: PartyKeys | None = None,
        auditors: Sequence[EncryptionPublicKey] = (),
        cursor_store: str = "default",
        cache_size: int = 256,
        carriers: CarrierWriter | None = None,
    ) -> None:
        self.identity = identity
        self.gateway: ChannelLedger = carriers if carriers is not None else gateway
        self._direct = gateway  # for what goes out at once, from any thread
        self._carriers = carriers
        self._queued: set[bytes] = set()  # channels with a position in the carriers' queue
        self._setups: list[TwinRecord] = []  # set up, ready once the carriers' queue went
        self.cursors = cursors
        self.directory = directory
        self.clock = clock
        self._parties = parties
        self._auditors = tuple(auditors)
        self._store_name = cursor_store
        self._cache_size = cache_size
        self._publishers: OrderedDict[bytes, Publisher] = OrderedDict()
        self.created = 0

    def open(
        self, kind: TwinKind, record_id: str, parties: Sequence[str], catch_up: CatchUp
    ) -> tuple[TwinRecord, Publisher]:
        """The record's twin and its publisher: created, reopened or cached, and set up."""
        record = self.directory.get(kind, record_id)
        if record is None:
            record, publisher = self._create(kind, record_id, catch_up)
        else:
            record, publisher = self._publisher(record, catch_up)
        if not record.ready:
            record = self._set_up(record, publisher, parties)
        return record, publisher

    def forget(self, channel_id: bytes) -> None:
        """Drop a cached publisher: the directory may lag its channel now, so the next
        :meth:`open` reopens it and catches up from the ledger before writing again."""
        self._publishers.pop(channel_id, None)

    def forget_all(self) -> None:
        self._publishers.clear()

    @property
    def cached(self) -> int:
        return len(self._publishers)

    def _create(
        self, kind: TwinKind, record_id: str, catch_up: CatchUp
    ) -> tuple[TwinRecord, Publisher]:
        channel = Channel.create(ChannelMode.RESTRICTED, self.identity)
        publisher = Publisher.create(self.gateway, self.cursors, channel, clock=self.clock)
        fresh = TwinRecord(kind, record_id, channel.id, self._store_name, self.clock.now_ms())
        record = self.directory.add(fresh)
        if record.channel_id != channel.id:  # another writer registered one first; ours is unused
            return self._publisher(record, catch_up)
        self.created += 1
        self._remember(publisher)
        return record, publisher

    def _publisher(self, record: TwinRecord, catch_up: CatchUp) -> tuple[TwinRecord, Publisher]:
        cached = self._publishers.get(record.channel_id)
        if cached is not None:
            self._publishers.move_to_end(record.channel_id)
            return record, cached
        publisher = Publisher.open(self.gateway, self.cursors, record.channel_id, clock=self.clock)
        self.flush()  # the last message it sent again: on the ledger before catching up
        record = catch_up(record, publisher)
        self._remember(publisher)
        return record, publisher

    def _set_up(
        self, record: TwinRecord, publisher: Publisher, parties: Sequence[str]
    ) -> TwinRecord:
        """Announce the twin and hand out its keys; done again, harmlessly, if interrupted."""
        channel, clock = publisher.channel, self.clock
        descriptor = Descriptor.of(schema=SCHEMA, kind=record.kind.value)
        announce(
            self.gateway,
            channel,
            self.identity,
            descriptor,
            clock=clock,
            directory=announcement_tag(channel.id),
        )
        readers = self._reader_keys(parties)
        self.before_publishing(channel.id)
        for key, reader_key in zip(readers, publisher.grant_all(readers), strict=True):
            deliver(self.gateway, self.identity, key, reader_key, clock=clock)
        for auditor in self._auditors:
            deliver(self.gateway, self.identity, auditor, publisher.reader_key(0), clock=clock)
        ready = replace(record, position=publisher.position, ready=True)  # a cursor never lags
        if self._carriers is None:
            return self._mark_ready(ready)
        # Ready once its carrier went (the next flush, before any state of the twin is sent:
        # the key record holds the channel's queued position); if that never happens, the
        # twin is set up again, harmlessly.
        self._setups.append(ready)
        return ready

    def _mark_ready(self, record: TwinRecord) -> TwinRecord:
        return self.directory.advance(
            record.kind,
            record.record_id,
            step=record.last_step,
            position=record.position,
            ready=True,
        )

    def _reader_keys(self, parties: Sequence[str]) -> list[EncryptionPublicKey]:
        keys = []
        for party in parties:
            key = self._parties.encryption_key(party) if self._parties is not None else None
            if key is None:
                log.info("no encryption key for party %s: its twin access is not granted", party)
                continue
            keys.append(key)
        return keys

    # -- carriers --------------------------------------------------------------------------

    def before_publishing(self, channel_id: bytes) -> None:
        """With carriers, send what is queued if it holds a position of this channel: a
        carrier holds at most one position per channel, the one the channel's cursor keeps
        as its last message and sends again when it is reopened, so a crash loses none."""
        if channel_id in self._queued:
            self.flush()
        if self._carriers is not None:
            self._queued.add(channel_id)

    def flush(self) -> None:
        """Send every queued message (nothing without carriers); raises what the ledger
        raised. Only after this returned is anything written through it on the ledger."""
        if self._carriers is not None:
            self._carriers.flush()
        self._queued.clear()
        setups, self._setups = self._setups, []
        for record in setups:
            self._mark_ready(record)

    def _remember(self, publisher: Publisher) -> None:
        self._publishers[publisher.channel.id] = publisher
        while len(self._publishers) > self._cache_size:
            self._publishers.popitem(last=False)

    # -- keys for auditors -----------------------------------------------------------------

    def reader_key(self, kind: TwinKind, record_id: str) -> ReaderKey | None:
        """The read-only key of a twin for an auditor (the API checks the caller may audit).

        Built from the stored cursor without opening a publisher, so it sends nothing.
        """
        record = self.directory.get(kind, record_id)
        if record is None:
            return None
        publisher = self._publishers.get(record.channel_id)
        if publisher is None:
            state = self.cursors.load(record.channel_id)
            if state is None:
                return None
            publisher = Publisher(self.gateway, self.cursors, state, clock=self.clock)
        return publisher.reader_key(0)

    def send_reader_key(self, kind: TwinKind, record_id: str, auditor: EncryptionPublicKey) -> bool:
        """Seal a twin's read-only key to an auditor's inbox, on the ledger when this returns
        (never queued for a carrier: the auditor asked now, from a request's thread); False
        if there is no such twin."""
        key = self.reader_key(kind, record_id)
        if key is None:
            return False
        deliver(self._direct, self.identity, auditor, key, clock=self.clock)
        return True
