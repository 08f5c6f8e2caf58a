"""An in-process node, parties and a twin recorder for the twin, audit and payment tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from plaza.adapters.ledger.local import LocalLedger
from plaza.channels import (
    CarrierWriter,
    ChannelLedger,
    CursorStore,
    LedgerUnavailable,
    MemoryCursorStore,
)
from plaza.crypto import Address, EncryptionKey, EncryptionPublicKey, Identity, SigningKey
from plaza.ledger.model import DataPayload, Message, Output, TransferPayload
from plaza.ledger.ports import Ledger as LedgerPort
from plaza.market.auth import participant_id_for
from plaza.market.leases import Lease
from plaza.market.twins.channels import TwinChannels
from plaza.market.twins.memory import MemoryTwinDirectory, MemoryTwinOutbox
from plaza.market.twins.outbox import TwinOutbox
from plaza.market.twins.ports import TwinDirectory
from plaza.market.twins.publisher import OutboxPublisher
from plaza.market.twins.recorder import ChannelTwins
from plaza.market.twins.staging import StagedTwins
from plaza.testing.ledgers import LedgerProxy
from plaza.testing.nodes import InProcessNode, in_process_node

HOUR_MS = 3_600_000


def identity(number: int) -> Identity:
    """A deterministic identity: signing and encryption keys from the number."""
    return Identity(SigningKey(bytes([number]) * 32), EncryptionKey(bytes([number + 100]) * 32))


def pid(who: Identity) -> str:
    """The participant id of an identity: the ``plz1…`` address of its signing key."""
    return participant_id_for(who.public_key)


MARKETPLACE = identity(10)
SOLAR = identity(11)
EV = identity(12)
AUDITOR = identity(13)
STRANGER = identity(14)


@dataclass
class Keys:
    """:class:`PartyKeys` from a dict of identities."""

    known: Mapping[str, Identity] = field(
        default_factory=lambda: {pid(who): who for who in (SOLAR, EV)}
    )

    def encryption_key(self, participant_id: str) -> EncryptionPublicKey | None:
        who = self.known.get(participant_id)
        return None if who is None else who.encryption.public_key


Ledger = InProcessNode


def in_process_ledger() -> AbstractContextManager[InProcessNode]:
    return in_process_node(network="plaza-twins-test")


def channel_twins(
    ledger: Ledger,
    *,
    directory: MemoryTwinDirectory | None = None,
    cursors: MemoryCursorStore | None = None,
    auditors: tuple[Identity, ...] = (),
    gateway: ChannelLedger | None = None,
) -> ChannelTwins:
    return ChannelTwins(
        identity=MARKETPLACE,
        gateway=gateway or ledger.gateway,
        cursors=cursors or MemoryCursorStore(),
        directory=directory or MemoryTwinDirectory(),
        clock=ledger.clock,
        parties=Keys(),
        auditors=[who.encryption.public_key for who in auditors],
    )


class FlakyGateway(LedgerProxy):
    """A ledger that can be switched off: before composing (nothing is saved) or only at
    submit (the publisher has saved the message it could not send)."""

    def __init__(self, inner: LocalLedger) -> None:
        super().__init__(inner)
        self.compose_down = False
        self.submit_down = False
        self.fail_submits = 0  # fail this many submits, then work again

    def compose(
        self,
        signer: SigningKey,
        payload: DataPayload | TransferPayload,
        *,
        first_parents: Sequence[bytes] = (),
        not_before_ms: int = 0,
    ) -> Message:
        if self.compose_down:
            raise LedgerUnavailable("switched off")
        return super().compose(
            signer, payload, first_parents=first_parents, not_before_ms=not_before_ms
        )

    def submit(self, raw: bytes) -> bytes:
        if self.fail_submits > 0:
            self.fail_submits -= 1
            raise LedgerUnavailable("one submit lost")
        if self.submit_down:
            raise LedgerUnavailable("switched off")
        return self.inner.submit(raw)


def pay_from(ledger: Ledger, signer: SigningKey, payee: str, amount: int) -> bytes:
    """Attach a plain transfer from ``signer`` to the ``plz1…`` address ``payee``; its id."""
    ledger_port = LocalLedger(ledger.runtime)
    payload = TransferPayload((Output(Address.parse(payee).raw, amount),))
    message = ledger_port.compose(signer, payload)
    ledger_port.submit(message.raw)
    return message.id


@dataclass
class OutboxStores:
    """What survives a restart of the outbox publisher: the directory, outbox and cursors
    (in memory unless given: the SQL ones share a database)."""

    directory: TwinDirectory = field(default_factory=MemoryTwinDirectory)
    cursors: CursorStore = field(default_factory=MemoryCursorStore)
    outbox: TwinOutbox | None = None

    def __post_init__(self) -> None:
        if self.outbox is None:
            assert isinstance(self.directory, MemoryTwinDirectory)
            self.outbox = MemoryTwinOutbox(self.directory)


def staged_twins(
    ledger: Ledger,
    stores: OutboxStores,
    *,
    gateway: LedgerPort | None = None,
    auditors: tuple[Identity, ...] = (),
    batch_size: int = 64,
    lease: Lease | None = None,
    carriers: bool = False,
) -> StagedTwins:
    """A twin recorder with an outbox, as a freshly started process builds it on ``stores``
    (with ``carriers``, its twin states go many to a ledger message, as served)."""
    assert stores.outbox is not None
    gateway = gateway or ledger.gateway
    channels = TwinChannels(
        identity=MARKETPLACE,
        gateway=gateway,
        carriers=CarrierWriter(gateway) if carriers else None,
        cursors=stores.cursors,
        directory=stores.directory,
        clock=ledger.clock,
        parties=Keys(),
        auditors=[who.encryption.public_key for who in auditors],
    )
    publisher = OutboxPublisher(channels, stores.outbox, batch_size=batch_size, lease=lease)
    return StagedTwins(
        outbox=stores.outbox, channels=channels, publisher=publisher, clock=ledger.clock
    )
