"""Channels: MAM-style signed streams on the tangle, with key epochs and sealed key delivery.

A channel is an owner's ordered stream of signed messages. Position ``i`` lives
under a tag derived from a forward hash chain, so a reader given position ``i``
walks forward and never back. Public channels can be read by anyone who knows
the channel key; private ones by whoever holds a chain state; restricted ones
also need the current epoch key, which the owner re-wraps for each entitled
reader whenever access changes. ``docs/protocol.md`` ("Channels") has every byte.

::

    owner = Identity.generate()
    channel = Channel.create(ChannelMode.RESTRICTED, owner)
    publisher = Publisher.create(gateway, MemoryCursorStore(), channel, clock=clock)
    key = publisher.grant(buyer.encryption.public_key, max_messages=100)
    deliver(gateway, owner, buyer.encryption.public_key, key, clock=clock)
    publisher.publish(b"21.5C")

    delivery = open_inbox(gateway, buyer.encryption)[0]
    reader = Reader(gateway, delivery.reader_key, encryption_key=buyer.encryption)
    for entry in reader.follow():
        ...
"""

from plaza.channels.announce import (
    DIRECTORY_TAG,
    announce,
    find_announcements,
    parse_announcement,
)
from plaza.channels.backup import export_backup, import_backup, restore_backup
from plaza.channels.carriers import CarrierWriter
from plaza.channels.codec import decode_reader_key, encode_reader_key
from plaza.channels.envelope import MAX_CONTENT_SIZE
from plaza.channels.epochs import MAX_READERS
from plaza.channels.errors import (
    AccessEnded,
    AccessExpired,
    AccessRevoked,
    ChannelError,
    ChannelNotFound,
    ContentTooLarge,
    CursorConflict,
    ForeignMessage,
    InvalidChannelData,
    MessageMissing,
    ModeMismatch,
    PositionUnavailable,
    TooManyReaders,
    UnknownReader,
    WrongBackupPassword,
    WrongKey,
)
from plaza.channels.inbox import deliver, open_delivery, open_inbox
from plaza.channels.memory import MemoryCursorStore
from plaza.channels.model import (
    Announcement,
    Channel,
    ChannelEntry,
    ChannelMode,
    Delivery,
    Descriptor,
    Grant,
    Published,
    PublisherState,
    ReaderKey,
)
from plaza.channels.ports import ChannelLedger, CursorStore, Feed, MessageWriter
from plaza.channels.publisher import Publisher
from plaza.channels.reader import Reader
from plaza.ledger.errors import LedgerAccessError, LedgerUnavailable, MessageRefused

__all__ = [
    "DIRECTORY_TAG",
    "MAX_CONTENT_SIZE",
    "MAX_READERS",
    "AccessEnded",
    "AccessExpired",
    "AccessRevoked",
    "Announcement",
    "CarrierWriter",
    "Channel",
    "ChannelEntry",
    "ChannelError",
    "ChannelLedger",
    "ChannelMode",
    "ChannelNotFound",
    "ContentTooLarge",
    "CursorConflict",
    "CursorStore",
    "Delivery",
    "Descriptor",
    "Feed",
    "ForeignMessage",
    "Grant",
    "InvalidChannelData",
    "LedgerAccessError",
    "LedgerUnavailable",
    "MemoryCursorStore",
    "MessageMissing",
    "MessageRefused",
    "MessageWriter",
    "ModeMismatch",
    "PositionUnavailable",
    "Published",
    "Publisher",
    "PublisherState",
    "Reader",
    "ReaderKey",
    "TooManyReaders",
    "UnknownReader",
    "WrongBackupPassword",
    "WrongKey",
    "announce",
    "decode_reader_key",
    "deliver",
    "encode_reader_key",
    "export_backup",
    "find_announcements",
    "import_backup",
    "open_delivery",
    "open_inbox",
    "parse_announcement",
    "restore_backup",
]
