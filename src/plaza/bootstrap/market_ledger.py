"""The marketplace on the ledger: twins recorded over a node, and the auditor reading them back.

With a node URL, every order step, signed contract and settlement state is staged in the
twin outbox of the market's database (:class:`~plaza.market.twins.staging.StagedTwins`)
and written to its twin by the :class:`~plaza.market.twins.publisher.OutboxPublisher`
(a background thread of the served API) over the channels'
:class:`~plaza.adapters.ledger.remote.RemoteLedger`, and the server's
:class:`~plaza.market.audit.service.Auditor` reads those twins with the owner's keys and
asks the same node for confirmations. Without one (tests, benchmarks that opt
out) nothing is recorded, and an audit says so instead of pretending to verify.

A node that is unreachable does not stop the marketplace: states wait in the outbox,
and the publisher retries until the node answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bootstrap.market_files import TWIN_CURSORS, MarketDataDir
from plaza.channels.carriers import CarrierWriter
from plaza.channels.cursors import SqliteCursorStore
from plaza.clients.node import NodeClient
from plaza.clock import Clock
from plaza.crypto import EncryptionPublicKey, Identity
from plaza.ledger.model import MessageMetadata
from plaza.market.audit.channels import ChannelTrails
from plaza.market.audit.service import Auditor, MarketRecords, TwinTrail, TwinTrails
from plaza.market.auth.ports import ParticipantStore
from plaza.market.leases import Lease
from plaza.market.settlement import Settlement, SettlementListener
from plaza.market.sql.outbox_store import SqlTwinOutbox
from plaza.market.sql.twin_store import SqlTwinDirectory
from plaza.market.twins.channels import TwinChannels
from plaza.market.twins.documents import TwinKind
from plaza.market.twins.lookup import ParticipantKeys
from plaza.market.twins.publisher import OutboxPublisher
from plaza.market.twins.staging import StagedTwins
from plaza.settings import MarketSettings

__all__ = ["FanOutListener", "LedgerSide", "NoTwins", "build_auditor", "open_ledger"]

log = logging.getLogger(__name__)

#: The twin publisher sends message after message: tips this fresh are asked again of nobody.
_TIPS_MAX_AGE_MS = 250

NO_NODE = "this marketplace records no twins: no ledger node is configured"


@dataclass(frozen=True, slots=True)
class LedgerSide:
    """What the marketplace holds on the ledger: nothing at all without a node."""

    node: NodeClient | None = None
    gateway: RemoteLedger | None = None
    twins: StagedTwins | None = None


class FanOutListener:
    """One settlement listener calling several in turn (notifications, then twins).

    A listener must not raise; if one does anyway, it is logged and the next
    still hears the change, so a notification bug cannot cost a twin its state.
    """

    def __init__(self, *listeners: SettlementListener) -> None:
        self._listeners = listeners

    def changed(self, before: Settlement, after: Settlement, step: str) -> None:
        for listener in self._listeners:
            try:
                listener.changed(before, after, step)
            except Exception:
                log.exception("a settlement listener failed on %s (%s)", after.id, step)


class NoTwins:
    """:class:`~plaza.market.audit.service.TwinTrails` when twins are off: every trail says why."""

    def trail(self, kind: TwinKind, record_id: str) -> TwinTrail:
        return TwinTrail(kind, record_id, None, None, problems=(NO_NODE,))


class _NoConfirmations:
    """Nothing is on a ledger, so the node knows no message (only asked with twins off)."""

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        return None


def _auditor_keys(settings: MarketSettings) -> Sequence[EncryptionPublicKey]:
    return [EncryptionPublicKey(bytes.fromhex(key)) for key in settings.auditor_keys]


def open_ledger(
    settings: MarketSettings,
    data: MarketDataDir,
    engine: Engine,
    *,
    participants: ParticipantStore,
    identity: Identity,
    clock: Clock,
    closers: list[Callable[[], object]],
    lease: Lease,
) -> LedgerSide:
    """The node client and twin recorder when ``node_url`` is set; nothing otherwise.

    The publisher writes only while this process holds ``lease``. Opening sends nothing:
    the gateway asks the node for its parameters on first use, so an unreachable node
    costs startup nothing but a later retry.
    """
    if not settings.node_url:
        return LedgerSide()
    node = NodeClient(settings.node_url)
    closers.append(node.close)
    gateway = RemoteLedger(node, clock=clock, tips_max_age_ms=_TIPS_MAX_AGE_MS)
    cursors = SqliteCursorStore(data.twin_cursors)
    closers.append(cursors.close)
    channels = TwinChannels(
        identity=identity,
        gateway=gateway,
        carriers=CarrierWriter(gateway) if settings.twin_carriers else None,
        cursors=cursors,
        directory=SqlTwinDirectory(engine),
        clock=clock,
        parties=ParticipantKeys(participants),
        auditors=_auditor_keys(settings),
        cursor_store=TWIN_CURSORS,
    )
    outbox = SqlTwinOutbox(engine)
    publisher = OutboxPublisher(channels, outbox, lease=lease)
    twins = StagedTwins(outbox=outbox, channels=channels, publisher=publisher, clock=clock)
    return LedgerSide(node, gateway, twins)


def build_auditor(
    ledger: LedgerSide, records: MarketRecords, *, identity: Identity, clock: Clock
) -> Auditor:
    """The server's auditor: the owner's twin keys, the node's confirmations, the database.

    It reads only (lookups by tag and id, never a submit). An independent auditor
    runs the same :class:`Auditor` on its own machine with
    :class:`~plaza.market.audit.channels.InboxTwinKeys` instead of the owner's keys.
    """
    trails: TwinTrails = NoTwins()
    confirmations: RemoteLedger | _NoConfirmations = _NoConfirmations()
    if ledger.gateway is not None and ledger.twins is not None:
        trails = ChannelTrails(ledger.gateway, ledger.twins)
        confirmations = ledger.gateway
    return Auditor(trails, confirmations, records, marketplace_key=identity.public_key.raw)
