"""Derivations: where position i of a channel lives, and every key a channel uses.

The forward chain (``docs/protocol.md``, "Channels")::

    s_0      = root                 (private, restricted: secret; public: from the channel key)
    s_{i+1}  = KDF(s_i, "next")
    tag_i    = KDF(s_i, "addr")     the ledger tag of position i
    k_i      = KDF(s_i, "key")      the chain key: content key of private channels
    issuer_i = Ed25519(KDF(s_i, "issuer"))   one-time issuer of private/restricted messages

with ``KDF(k, label) = BLAKE2b-256(label, key=k, person="plaza-chan-v1")``. Keyed
BLAKE2b is a PRF and the step function is one-way, so holding ``s_i`` gives every
later tag and key and none before ``i``: a reader walks forward, never back.

Every owner secret derives from one 32-byte channel secret, so a backup of that
secret (plus the cursor) is a backup of the channel.
"""

from __future__ import annotations

from dataclasses import dataclass

from plaza.crypto import EncryptionPublicKey, PublicKey, SigningKey, blake2b

__all__ = [
    "CHAIN_PERSON",
    "HINT_SIZE",
    "STATE_SIZE",
    "ChainPoint",
    "channel_id",
    "epoch_key",
    "hint",
    "hint_key",
    "inbox_tag",
    "kdf",
    "public_root",
    "secret_kdf",
]

CHAIN_PERSON = b"plaza-chan-v1"
SECRET_PERSON = b"plaza-chan-sec"
STATE_SIZE = 32
HINT_SIZE = 8


def kdf(key: bytes, label: bytes, *, size: int = 32) -> bytes:
    """The chain's one derivation: ``BLAKE2b(label, key=key, person="plaza-chan-v1")``."""
    return blake2b(label, key=key, person=CHAIN_PERSON, size=size)


def secret_kdf(secret: bytes, label: bytes) -> bytes:
    """An owner secret from the channel secret, apart from the chain by its ``person``."""
    return blake2b(label, key=secret, person=SECRET_PERSON)


def channel_id(channel_key: PublicKey) -> bytes:
    """The channel's public id: bound into every record, never shown in clear by one."""
    return blake2b(channel_key.raw, person=b"plaza-chan-id")


def public_root(channel_key: PublicKey) -> bytes:
    """``s_0`` of a public channel: anyone who knows the channel key can walk it."""
    return blake2b(channel_key.raw, person=b"plaza-chan-pub")


def epoch_key(epoch_master: bytes, epoch: int) -> bytes:
    """The content key of a restricted channel's ``epoch`` (derived, so owners re-derive it)."""
    return kdf(epoch_master, b"epoch" + epoch.to_bytes(4, "little"))


def hint_key(hint_master: bytes, reader: EncryptionPublicKey) -> bytes:
    """A key only the owner and this reader know, from which its per-epoch hints come."""
    return kdf(hint_master, b"hintkey" + reader.raw)


def hint(reader_hint_key: bytes, epoch: int) -> bytes:
    """8 bytes naming the reader's wrap in a keys record; unlinkable across epochs."""
    return kdf(reader_hint_key, b"hint" + epoch.to_bytes(4, "little"), size=HINT_SIZE)


def inbox_tag(recipient: EncryptionPublicKey) -> bytes:
    """Where sealed key deliveries to ``recipient`` are filed (one lookup finds them all)."""
    return blake2b(recipient.raw, person=b"plaza-inbox")


@dataclass(frozen=True, slots=True, repr=False)
class ChainPoint:
    """Position ``position`` of a chain and its state ``s_position`` (a secret, not shown)."""

    position: int
    state: bytes

    def __post_init__(self) -> None:
        if self.position < 0 or len(self.state) != STATE_SIZE:
            raise ValueError("a chain point needs a position >= 0 and a 32-byte state")

    def next(self) -> ChainPoint:
        return ChainPoint(self.position + 1, kdf(self.state, b"next"))

    def advance(self, steps: int) -> ChainPoint:
        """The point ``steps`` positions on (costs one hash per step)."""
        state = self.state
        for _ in range(steps):
            state = kdf(state, b"next")
        return ChainPoint(self.position + steps, state)

    def window(self, count: int) -> list[ChainPoint]:
        """This point and the ``count - 1`` after it."""
        points = [self]
        while len(points) < count:
            points.append(points[-1].next())
        return points

    @property
    def tag(self) -> bytes:
        return kdf(self.state, b"addr")

    @property
    def chain_key(self) -> bytes:
        return kdf(self.state, b"key")

    def issuer(self) -> SigningKey:
        """The one-time issuer key of this position (private and restricted channels)."""
        return SigningKey(kdf(self.state, b"issuer"))

    def __repr__(self) -> str:
        return f"ChainPoint(position={self.position})"
