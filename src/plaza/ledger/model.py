"""The values of the tangle: messages, their payloads, milestones and confirmations.

Values here are immutable and already valid in isolation: the codec builds them
only from canonical bytes, so holding a :class:`Message` means holding bytes
whose id, size limits and structure have been checked. Whether the message is
valid *in context* (network, signature, proof of work, parents, timestamps) is
the business of :mod:`plaza.ledger.validation`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "CARRIED_PARENT",
    "ID_SIZE",
    "MAX_CARRIED",
    "MAX_HOLD_MS",
    "MAX_OUTPUTS",
    "MAX_PARENTS",
    "MAX_PAYLOAD_SIZE",
    "MAX_TAG_SIZE",
    "PROTOCOL_VERSION",
    "SECRET_SIZE",
    "SIGNATURE_SIZE",
    "CarrierPayload",
    "CoSignature",
    "ConfirmationState",
    "Conflict",
    "DataPayload",
    "HoldPayload",
    "IssuedPayload",
    "Message",
    "MessageMetadata",
    "MilestonePayload",
    "MilestoneRecord",
    "Output",
    "PayPayload",
    "Payload",
    "PayloadKind",
    "ReleasePayload",
    "SettlePayload",
    "TransferPayload",
]

PROTOCOL_VERSION = 1
ID_SIZE = 32
KEY_SIZE = 32
SIGNATURE_SIZE = 64
NONCE_SIZE = 8
MAX_PARENTS = 8
MAX_PAYLOAD_SIZE = 32 * 1024
MAX_TAG_SIZE = 64
MAX_OUTPUTS = 32
MAX_AMOUNT = 2**63 - 1
#: A transfer must be confirmed within this long of its issue time. The bound lets
#: the ledger remember every applied transfer for replay protection in bounded memory.
TRANSFER_TTL_MS = 60 * 60 * 1000
#: A hold's deadline is at most this long after its issue time, so no hold lingers in
#: the state for ever (and a hold confirmed late still has at most this long to run).
MAX_HOLD_MS = 90 * 24 * 60 * 60 * 1000
#: A hashlock is BLAKE2b-256 of a secret of exactly this many bytes.
SECRET_SIZE = 32
#: The one parent of a carried message: no message, since a carried message is no
#: tangle vertex; its carrier's parents and work stand for it.
CARRIED_PARENT = bytes(ID_SIZE)
#: At most this many messages in one carrier (its count is a u8).
MAX_CARRIED = 255


class PayloadKind(enum.IntEnum):
    DATA = 1
    TRANSFER = 2
    MILESTONE = 3
    HOLD = 4
    RELEASE = 5
    SETTLE = 6
    PAY = 7
    CARRIER = 8


@dataclass(frozen=True, slots=True)
class DataPayload:
    """Bytes filed under a tag, the seeds' zero-value transaction with a message."""

    KIND: ClassVar[PayloadKind] = PayloadKind.DATA
    tag: bytes
    data: bytes


@dataclass(frozen=True, slots=True)
class Output:
    """``amount`` base units credited to the 32-byte ``address``."""

    address: bytes
    amount: int


@dataclass(frozen=True, slots=True)
class TransferPayload:
    """Value moved from the issuer's address to ``outputs`` (account model)."""

    KIND: ClassVar[PayloadKind] = PayloadKind.TRANSFER
    outputs: tuple[Output, ...]
    tag: bytes = b""
    data: bytes = b""

    @property
    def total(self) -> int:
        return sum(output.amount for output in self.outputs)


@dataclass(frozen=True, slots=True)
class CoSignature:
    """One coordinator key's Ed25519 signature over a milestone's signing bytes."""

    public_key: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class MilestonePayload:
    """A coordinator checkpoint: confirms the not-yet-confirmed past cone of its parents.

    ``inclusion_root`` is the Merkle root of the ids it confirms, in white-flag
    order; ``state_root`` the ledger state root after applying them. A node that
    computes anything else refuses the milestone rather than diverge silently.
    """

    KIND: ClassVar[PayloadKind] = PayloadKind.MILESTONE
    index: int
    previous: bytes
    inclusion_root: bytes
    state_root: bytes
    signatures: tuple[CoSignature, ...] = ()


@dataclass(frozen=True, slots=True)
class HoldPayload:
    """The issuer's ``amount`` held for ``payee`` until ``expires_at_ms`` (``docs/protocol.md``).

    It is released to the payee by the secret whose BLAKE2b-256 is ``hashlock``
    (when set) or by a settlement; at the first milestone at or after the deadline
    whatever is still held returns to the issuer, with no one's cooperation.
    ``hashlock`` and ``arbiter`` are 32 bytes or empty.
    """

    KIND: ClassVar[PayloadKind] = PayloadKind.HOLD
    payee: bytes
    amount: int
    expires_at_ms: int
    hashlock: bytes = b""
    arbiter: bytes = b""
    tag: bytes = b""
    data: bytes = b""


@dataclass(frozen=True, slots=True)
class ReleasePayload:
    """Pays a hold in full to its payee by revealing the secret of its hashlock; anyone may."""

    KIND: ClassVar[PayloadKind] = PayloadKind.RELEASE
    hold_id: bytes
    secret: bytes
    tag: bytes = b""


@dataclass(frozen=True, slots=True)
class SettlePayload:
    """Closes a hold: ``to_payee`` to the payee, the rest back to the payer.

    Who may settle how is a ledger rule (:mod:`plaza.ledger.holds`): the arbiter
    any split, the payee a full refund, the payer a full payment. ``data`` carries
    the reason (a failed job's, say).
    """

    KIND: ClassVar[PayloadKind] = PayloadKind.SETTLE
    hold_id: bytes
    to_payee: int
    tag: bytes = b""
    data: bytes = b""


@dataclass(frozen=True, slots=True)
class PayPayload:
    """Pays ``amount`` of an open hold to its payee and keeps the rest held.

    A part payment: the hold stays open with what remains and its deadline, which
    a later release, settlement or the deadline closes as usual. Who may pay is a
    ledger rule (:mod:`plaza.ledger.holds`): the arbiter or the payer. Unlike a
    settlement it does not close the hold, so it is replay-protected like a
    transfer (its key is the hash of what the issuer signed).
    """

    KIND: ClassVar[PayloadKind] = PayloadKind.PAY
    hold_id: bytes
    amount: int
    tag: bytes = b""
    data: bytes = b""


@dataclass(frozen=True, slots=True)
class CarrierPayload:
    """Several data messages sharing one ledger message, so they share one proof of work.

    Each carried message is complete and signed by its own issuer, with the one
    parent :data:`CARRIED_PARENT` and nonce 0: the carrier's parents and work stand
    for all of them. The node files each under its tag and serves it by its id,
    confirmed when its carrier is (``docs/protocol.md``, "Carried messages").
    """

    KIND: ClassVar[PayloadKind] = PayloadKind.CARRIER
    messages: tuple[Message, ...]

    @property
    def tag(self) -> bytes:
        """A carrier is filed under no tag of its own; its carried messages are."""
        return b""


Payload = (
    DataPayload
    | TransferPayload
    | MilestonePayload
    | HoldPayload
    | ReleasePayload
    | SettlePayload
    | PayPayload
    | CarrierPayload
)
#: What anyone may issue: every payload but a milestone (the coordinator's alone).
IssuedPayload = (
    DataPayload
    | TransferPayload
    | HoldPayload
    | ReleasePayload
    | SettlePayload
    | PayPayload
    | CarrierPayload
)


@dataclass(frozen=True, slots=True)
class Message:
    """A decoded, canonically encoded tangle message; ``raw`` is its exact bytes."""

    version: int
    network_id: int
    parents: tuple[bytes, ...]
    issuer: bytes
    issued_at_ms: int
    payload: Payload
    signature: bytes
    nonce: int
    id: bytes
    raw: bytes

    @property
    def essence(self) -> bytes:
        """The signed part: everything before the signature and nonce."""
        return self.raw[: -(SIGNATURE_SIZE + NONCE_SIZE)]

    @property
    def tag(self) -> bytes:
        payload = self.payload
        return b"" if isinstance(payload, MilestonePayload) else payload.tag


class Conflict(enum.IntEnum):
    """Why a confirmed transfer changed nothing. ``NONE`` for every applied message."""

    NONE = 0
    INSUFFICIENT_FUNDS = 1
    REPLAYED = 2  # the same signed transfer was already applied (attached again, new nonce)
    EXPIRED = 3  # confirmed over TRANSFER_TTL_MS after its issue, or a hold past its deadline
    HOLD_NOT_OPEN = 4  # a release or settlement of a hold that is not open (unknown or closed)
    WRONG_SECRET = 5  # a release whose secret does not open the hold's hashlock (or it has none)
    NOT_ALLOWED = 6  # a settlement or part payment its issuer may not make (or over the hold)


class ConfirmationState(enum.StrEnum):
    HELD = "held"  # waiting for a missing parent
    PENDING = "pending"  # solid, not yet confirmed
    CONFIRMED = "confirmed"
    CONFLICTING = "conflicting"  # confirmed, but its transfer was not applied


@dataclass(frozen=True, slots=True)
class MessageMetadata:
    """What the node knows about a message beyond its bytes.

    A carried message has its carrier's solidity, milestone and conflict, and
    ``carrier`` names that carrier; for any other message it is ``None``.
    """

    id: bytes
    solid: bool
    milestone_index: int | None
    conflict: Conflict
    carrier: bytes | None = None

    @property
    def state(self) -> ConfirmationState:
        if not self.solid:
            return ConfirmationState.HELD
        if self.milestone_index is None:
            return ConfirmationState.PENDING
        if self.conflict is not Conflict.NONE:
            return ConfirmationState.CONFLICTING
        return ConfirmationState.CONFIRMED


@dataclass(frozen=True, slots=True)
class MilestoneRecord:
    """A milestone the node has applied, as stored."""

    index: int
    message_id: bytes
    timestamp_ms: int
    inclusion_root: bytes
    state_root: bytes
    confirmed_count: int
