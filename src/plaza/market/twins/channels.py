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

from plaza.channels import (
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
    ) -> None:
        self.identity = identity
        self.gateway = gateway
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
        for party in parties:
            key = self._parties.encryption_key(party) if self._parties is not None else None
            if key is None:
                log.info("no encryption key for party %s: its twin access is not granted", party)
                continue
            deliver(self.gateway, self.identity, key, publisher.grant(key), clock=clock)
        for auditor in self._auditors:
            deliver(self.gateway, self.identity, auditor, publisher.reader_key(0), clock=clock)
        return self.directory.advance(
            record.kind,
            record.record_id,
            step=record.last_step,
            position=publisher.position,
            ready=True,
        )

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
        """Seal a twin's read-only key to an auditor's inbox; False if there is no such twin."""
        key = self.reader_key(kind, record_id)
        if key is None:
            return False
        deliver(self.gateway, self.identity, auditor, key, clock=self.clock)
        return True
