"""Reading twins for an auditor: the channels adapter of :class:`~.service.TwinTrails`,
and auditor keys as the marketplace seals them to an auditor's inbox.

Everything here reads: lookups by tag and message id, never a submit, so an audit
leaves the ledger exactly as it found it. The channel :class:`~plaza.channels.Reader`
does the signature checks (the ledger signature of each position's one-time issuer,
then the channel key's signature of the record, bound to channel, position and
epoch); an entry that fails them is skipped and counted, never returned.
"""

from __future__ import annotations

from plaza.channels import (
    ChannelError,
    ChannelLedger,
    Reader,
    ReaderKey,
    find_announcements,
    open_inbox,
)
from plaza.crypto import EncryptionKey
from plaza.market.audit.model import TrailEntry, TwinTrail
from plaza.market.twins.documents import InvalidTwinDocument, TwinKind, decode_document
from plaza.market.twins.lookup import announcement_tag
from plaza.market.twins.ports import TwinKeys

__all__ = ["ChannelTrails", "InboxTwinKeys"]

#: Entries read from one twin at most: a contract has about ten, an order a few more.
DEFAULT_LIMIT = 10_000
_ANNOUNCEMENTS = 16


class ChannelTrails:
    """Twins read from the ledger with the keys an auditor holds."""

    def __init__(self, gateway: ChannelLedger, keys: TwinKeys, *, limit: int = DEFAULT_LIMIT):
        self._gateway = gateway
        self._keys = keys
        self._limit = limit

    def trail(self, kind: TwinKind, record_id: str) -> TwinTrail:
        key = self._keys.reader_key(kind, record_id)
        if key is None:
            return TwinTrail(kind, record_id, None, None, problems=("no twin key for this record",))
        reader = Reader(self._gateway, key)
        entries: list[TrailEntry] = []
        problems: list[str] = []
        try:
            for entry in reader.read(limit=self._limit):
                entries.append(
                    TrailEntry(
                        entry.position, entry.message_id, entry.published_at_ms, entry.content
                    )
                )
        except ChannelError as error:  # channel errors name positions only, never secrets
            problems.append(str(error))
        return TwinTrail(
            kind,
            record_id,
            key.channel_id,
            self._owner(key),
            tuple(entries),
            tuple(problems),
            reader.statistics()["foreign_skipped"],
        )

    def _owner(self, key: ReaderKey) -> bytes | None:
        """The identity a valid announcement binds the channel to (both keys signed it)."""
        directory = announcement_tag(key.channel_id)
        for announcement in find_announcements(
            self._gateway, directory=directory, limit=_ANNOUNCEMENTS
        ):
            if announcement.channel == key.channel:
                return announcement.owner.raw
        return None


class InboxTwinKeys:
    """The twin keys the marketplace sealed to an auditor, found in the auditor's inbox.

    Only deliveries signed by the marketplace identity count. A delivery does not
    say which record its twin belongs to, so the first document of each twin is
    read once to learn it. Suited to auditing recent records: the inbox is read
    ``limit`` deliveries deep; larger audits ask the marketplace's audit API for keys.
    """

    def __init__(
        self,
        gateway: ChannelLedger,
        auditor: EncryptionKey,
        marketplace: bytes,
        *,
        limit: int = 1000,
    ) -> None:
        self._gateway = gateway
        self._auditor = auditor
        self._marketplace = marketplace
        self._limit = limit
        self._keys: dict[tuple[TwinKind, str], ReaderKey] = {}
        self._known: set[bytes] = set()

    def reader_key(self, kind: TwinKind, record_id: str) -> ReaderKey | None:
        if (kind, record_id) not in self._keys:
            self._refresh()
        return self._keys.get((kind, record_id))

    def _refresh(self) -> None:
        for delivery in open_inbox(self._gateway, self._auditor, limit=self._limit):
            if delivery.message_id in self._known or delivery.sender.raw != self._marketplace:
                continue
            twin = self._twin_of(delivery.reader_key)
            if twin is not None:
                self._known.add(delivery.message_id)
                self._keys.setdefault(twin, delivery.reader_key)

    def _twin_of(self, key: ReaderKey) -> tuple[TwinKind, str] | None:
        try:
            for entry in Reader(self._gateway, key).read(limit=1):
                document = decode_document(entry.content)
                return document.twin_kind, document.twin_id
        except (ChannelError, InvalidTwinDocument):
            return None
        return None
