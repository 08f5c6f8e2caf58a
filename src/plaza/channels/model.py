"""The values of channels: modes, owner secrets, grants, reader keys, entries, states.

Every value is immutable. Those that hold secrets (:class:`Channel`,
:class:`ReaderKey`, :class:`PublisherState`) show only public facts in their
``repr``, so logging one cannot leak a key or a chain state.
"""

from __future__ import annotations

import enum
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace

from plaza.channels.chain import (
    ChainPoint,
    channel_id,
    epoch_key,
    public_root,
    secret_kdf,
)
from plaza.crypto import EncryptionPublicKey, Identity, PublicKey, SigningKey

__all__ = [
    "MAX_DESCRIPTOR_FIELDS",
    "Announcement",
    "Channel",
    "ChannelEntry",
    "ChannelMode",
    "Delivery",
    "Descriptor",
    "Grant",
    "InFlight",
    "Published",
    "PublisherState",
    "ReaderKey",
]

SECRET_SIZE = 32
MAX_DESCRIPTOR_FIELDS = 32
MAX_FIELD_NAME = 64
MAX_FIELD_VALUE = 1024


class ChannelMode(enum.IntEnum):
    """Who can find and read a channel."""

    PUBLIC = 1  # anyone who knows the channel key finds and reads it
    PRIVATE = 2  # whoever holds a chain state finds and reads from there on
    RESTRICTED = 3  # a chain state finds, a separate epoch key reads

    @property
    def label(self) -> str:
        return self.name.lower()


class Channel:
    """An owner's channel: its mode, its owner's identity key, and its one secret.

    Every other secret derives from ``secret``: the channel signing key (whose
    public half names the channel), the root of private and restricted chains,
    the epoch keys, the owner's key for its own records, and the readers' hint keys.
    """

    __slots__ = (
        "_secret",
        "epoch_master",
        "hint_master",
        "id",
        "mode",
        "owner",
        "owner_key",
        "public_key",
        "root",
        "signing",
    )

    def __init__(self, mode: ChannelMode, owner: PublicKey, secret: bytes) -> None:
        if len(secret) != SECRET_SIZE:
            raise ValueError(f"a channel secret is {SECRET_SIZE} bytes")
        self.mode = ChannelMode(mode)
        self.owner = owner
        self._secret = secret
        self.signing = SigningKey(secret_kdf(secret, b"sign"))
        self.public_key = self.signing.public_key
        self.id = channel_id(self.public_key)
        public = self.mode is ChannelMode.PUBLIC
        self.root = public_root(self.public_key) if public else secret_kdf(secret, b"root")
        self.epoch_master = secret_kdf(secret, b"epochs")
        self.owner_key = secret_kdf(secret, b"owner")
        self.hint_master = secret_kdf(secret, b"hints")

    @classmethod
    def create(cls, mode: ChannelMode, owner: Identity | PublicKey) -> Channel:
        """A new channel with a fresh random secret."""
        owner_key = owner.public_key if isinstance(owner, Identity) else owner
        return cls(mode, owner_key, secrets.token_bytes(SECRET_SIZE))

    @property
    def secret_bytes(self) -> bytes:
        """The channel secret. Named loudly because calling it exports the whole channel."""
        return self._secret

    def start(self) -> ChainPoint:
        return ChainPoint(0, self.root)

    def epoch_key(self, epoch: int) -> bytes:
        return epoch_key(self.epoch_master, epoch)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Channel):
            return NotImplemented
        return self.mode == other.mode and hmac.compare_digest(self._secret, other._secret)

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"Channel({self.mode.label}, id={self.id.hex()[:16]}…)"


@dataclass(frozen=True, slots=True)
class Descriptor:
    """What an announcement tells the world: name, schema, price, location, anything.

    Fields are text, sorted by name; a price is written in integer base units
    (never a float) by whoever fills it in.
    """

    fields: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        names = [name for name, _ in self.fields]
        if names != sorted(set(names)) or len(names) > MAX_DESCRIPTOR_FIELDS:
            raise ValueError(f"descriptor fields: unique, sorted, at most {MAX_DESCRIPTOR_FIELDS}")
        for name, value in self.fields:
            if not 0 < len(name.encode()) <= MAX_FIELD_NAME:
                raise ValueError(f"descriptor field name of 1 to {MAX_FIELD_NAME} bytes")
            if len(value.encode()) > MAX_FIELD_VALUE:
                raise ValueError(f"descriptor field {name!r} over {MAX_FIELD_VALUE} bytes")

    @classmethod
    def of(cls, values: Mapping[str, str] | None = None, **named: str) -> Descriptor:
        """A descriptor from a mapping or keywords; empty values are left out."""
        merged = {**(values or {}), **named}
        return cls(tuple(sorted((k, v) for k, v in merged.items() if v)))

    def get(self, name: str) -> str | None:
        return dict(self.fields).get(name)

    def as_dict(self) -> dict[str, str]:
        return dict(self.fields)


@dataclass(frozen=True, slots=True)
class Grant:
    """A reader's entitlement to a restricted channel's epochs, until a time or a count.

    ``until_count`` is absolute: the grant ends when the channel has published
    that many data messages in all, so it survives rotations unchanged.
    """

    reader: EncryptionPublicKey
    expires_at_ms: int | None = None
    until_count: int | None = None

    def has_ended(self, now_ms: int, data_count: int) -> bool:
        expired = self.expires_at_ms is not None and now_ms >= self.expires_at_ms
        used_up = self.until_count is not None and data_count >= self.until_count
        return expired or used_up


@dataclass(frozen=True, slots=True, repr=False)
class ReaderKey:
    """Everything a reader needs to find, open and check a channel from ``position`` on.

    ``epoch_key`` opens the current epoch of a restricted channel and
    ``hint_key`` finds this reader's wrap in later keys records; an auditor's key
    carries ``epoch_master`` instead and opens every epoch.
    """

    channel: PublicKey
    mode: ChannelMode
    position: int
    chain: bytes
    epoch: int = 0
    epoch_key: bytes | None = None
    hint_key: bytes | None = None
    epoch_master: bytes | None = None
    owner: PublicKey | None = None
    expires_at_ms: int | None = None
    max_messages: int | None = None

    @classmethod
    def public(cls, channel: PublicKey, position: int = 0) -> ReaderKey:
        """The key anyone can make for a public channel."""
        point = ChainPoint(0, public_root(channel)).advance(position)
        return cls(channel, ChannelMode.PUBLIC, point.position, point.state)

    @property
    def channel_id(self) -> bytes:
        return channel_id(self.channel)

    @property
    def point(self) -> ChainPoint:
        return ChainPoint(self.position, self.chain)

    def at(self, point: ChainPoint, epoch: int, epoch_key: bytes | None) -> ReaderKey:
        """The same key moved on to ``point`` (a reader's checkpoint)."""
        return replace(
            self, position=point.position, chain=point.state, epoch=epoch, epoch_key=epoch_key
        )

    def __repr__(self) -> str:
        return (
            f"ReaderKey({self.mode.label}, channel={self.channel_id.hex()[:16]}…, "
            f"position={self.position}, epoch={self.epoch})"
        )


@dataclass(frozen=True, slots=True)
class ChannelEntry:
    """One verified data message of a channel."""

    position: int
    epoch: int
    content: bytes
    published_at_ms: int
    message_id: bytes


@dataclass(frozen=True, slots=True)
class Published:
    """Where a publish landed."""

    position: int
    epoch: int
    message_id: bytes


@dataclass(frozen=True, slots=True)
class Announcement:
    """A verified, owner- and channel-signed description of a channel."""

    channel: PublicKey
    owner: PublicKey
    mode: ChannelMode
    descriptor: Descriptor
    announced_at_ms: int
    message_id: bytes

    @property
    def channel_id(self) -> bytes:
        return channel_id(self.channel)


@dataclass(frozen=True, slots=True)
class Delivery:
    """A reader key that arrived sealed in the recipient's inbox, signed by its sender."""

    reader_key: ReaderKey
    sender: PublicKey
    recipient: EncryptionPublicKey
    issued_at_ms: int
    message_id: bytes


@dataclass(frozen=True, slots=True, repr=False)
class InFlight:
    """The message written for the position before the cursor, kept until it is surely in.

    ``chain`` is that position's chain state: if the node refuses the stored
    bytes for good (its network or difficulty changed), the publisher can sign
    the same payload again with the position's one-time issuer.
    """

    chain: bytes
    raw: bytes

    def __repr__(self) -> str:
        return f"InFlight({len(self.raw)} bytes)"


@dataclass(frozen=True, slots=True, repr=False)
class PublisherState:
    """A publisher's cursor: the next position, its chain state, epochs, grants.

    ``in_flight`` is the message written for ``position - 1``, persisted before
    it was submitted; it is submitted again on open, since a crash may have
    come before the node had it. ``epoch_starts[e - 1]`` is where epoch ``e``
    began (epoch 0 begins at 0), so the current epoch is ``len(epoch_starts)``.
    ``version`` counts saves, for the store's compare-and-swap (None: never saved).
    """

    channel: Channel
    position: int
    chain: bytes
    data_count: int = 0
    grants: tuple[Grant, ...] = ()
    epoch_starts: tuple[int, ...] = ()
    in_flight: InFlight | None = None
    version: int | None = None

    @classmethod
    def initial(cls, channel: Channel) -> PublisherState:
        return cls(channel, 0, channel.root)

    @property
    def epoch(self) -> int:
        return len(self.epoch_starts)

    @property
    def point(self) -> ChainPoint:
        return ChainPoint(self.position, self.chain)

    def epoch_at(self, position: int) -> int:
        """The epoch in force at ``position`` (for owners and auditors reading back)."""
        return sum(1 for start in self.epoch_starts if start <= position)

    def __repr__(self) -> str:
        return (
            f"PublisherState({self.channel!r}, position={self.position}, "
            f"epoch={self.epoch}, readers={len(self.grants)})"
        )
