"""Digital twins on channels: every state of an order, asset or contract, signed, on the ledger.

:class:`ChannelTwins` is the marketplace's twin recorder. It implements the bid
manager's :class:`~plaza.market.book.ports.OrderTwins` and
:class:`~plaza.market.assets.ports.AssetTwins`, the contract desk's
:class:`~plaza.market.contracts.ContractTwins` and settlement's
:class:`~plaza.market.settlement.SettlementListener`, on :mod:`plaza.channels`:

* one **restricted** channel per order, per asset, per contract and per participant, owned by
  the marketplace identity, created on first use and announced under
  ``"plaza-twin:" || channel_id`` (both keys sign the announcement, which is what
  binds the twin to the marketplace for an auditor);
* each **party** gets a key epoch granted to its X25519 key, sealed to its inbox,
  so only the parties (and auditors) can read their records; each configured
  **auditor** gets the owner's read-only key (every epoch, no signing);
* each state is one JSON document (:mod:`plaza.market.twins.documents`), signed by
  the channel key like every channel message.

Recording is idempotent. The :class:`~plaza.market.twins.ports.TwinDirectory` keeps
each twin's last step, so a change already recorded is skipped; and it keeps the
channel position after that step, so after a crash (or a failed submit whose bytes
the publisher kept and resubmitted) the recorder reads the documents past that
position back from the ledger before writing, instead of writing one twice.

Order changes fail loudly (:class:`~plaza.market.errors.TwinUnavailable`: the bid
manager retries them). Asset states, contracts and settlement states never raise:
they queue in order and go out with the next one or with :meth:`ChannelTwins.flush`,
which a periodic job calls; after a restart, the bid manager hands over every
stored asset state past :meth:`asset_recorded_through`, ``Marketplace.reconcile``
re-records contracts and :meth:`catch_up` records settlements' latest states. Documents are
deterministic (their times are the journal's, the match's, the settlement's), so
whatever is written again after a crash is written identically.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from itertools import groupby

from plaza.channels import (
    ChannelError,
    ChannelLedger,
    CursorStore,
    Publisher,
    Reader,
    ReaderKey,
)
from plaza.clock import Clock
from plaza.crypto import EncryptionPublicKey, Identity
from plaza.ledger.errors import LedgerAccessError
from plaza.market.book.journal import OrderChange
from plaza.market.contracts import SignedContract
from plaza.market.errors import StoreFailed, TwinUnavailable
from plaza.market.model import Asset
from plaza.market.settlement import Settlement
from plaza.market.twins.channels import TwinChannels
from plaza.market.twins.documents import (
    CONTRACT_STEP,
    InvalidTwinDocument,
    TwinDocument,
    TwinKind,
    asset_document,
    contract_document,
    decode_document,
    encode_document,
    order_document,
    settlement_document,
    settlement_step,
)
from plaza.market.twins.ports import PartyKeys, TwinDirectory, TwinRecord

__all__ = ["ChannelTwins"]

log = logging.getLogger(__name__)

_TRANSIENT = (ChannelError, LedgerAccessError, StoreFailed)
_COUNTS = (
    "published",
    "skipped",
    "caught_up",
    "deferred",
    "dropped",
    "without_contract",
)


class ChannelTwins:
    """The marketplace's twin recorder; one per marketplace identity and cursor store."""

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
        self._channels = TwinChannels(
            identity=identity,
            gateway=gateway,
            cursors=cursors,
            directory=directory,
            clock=clock,
            parties=parties,
            auditors=auditors,
            cursor_store=cursor_store,
            cache_size=cache_size,
        )
        self._gateway = gateway
        self._directory = directory
        self._queue: deque[tuple[str, Callable[[], None]]] = deque()
        self._lock = threading.RLock()
        self._counts: Counter[str] = Counter(dict.fromkeys(_COUNTS, 0))

    # -- orders: the bid manager's OrderTwins ----------------------------------------------

    def record(self, changes: Sequence[OrderChange]) -> None:
        """Record whole steps of order changes; steps at or below the mark are skipped."""
        with self._lock:
            through = self._directory.recorded_through()
            try:
                for step, group in groupby(changes, key=lambda change: change.step):
                    if step <= through:
                        continue
                    for change in group:
                        document = order_document(change)
                        self._write(TwinKind.ORDER, change.order.id, [change.order.owner], document)
                    self._directory.set_recorded_through(step)
                    through = step
            except _TRANSIENT as error:
                raise TwinUnavailable(str(error)) from error

    def recorded_through(self) -> int:
        return self._directory.recorded_through()

    # -- assets: the bid manager's AssetTwins, queued, never raising -----------------------

    def record_asset(self, state: Asset) -> None:
        """Queue one asset state for the asset's twin (its owner reads it), then flush."""
        self._enqueue(
            f"asset {state.id} v{state.version}",
            lambda: self._write(TwinKind.ASSET, state.id, [state.owner], asset_document(state)),
        )

    def asset_recorded_through(self, asset_id: str) -> int:
        record = self._directory.get(TwinKind.ASSET, asset_id)
        return 0 if record is None else record.last_step

    # -- contracts and settlements: queued, never raising ----------------------------------

    def record_contract(self, contract: SignedContract) -> None:
        """Queue the signed contract for both parties' twins and its own twin, then flush."""
        self._enqueue(f"contract {contract.match.id}", lambda: self._record_contract(contract))

    def changed(self, before: Settlement, after: Settlement, step: str) -> None:
        """Queue the settlement's new state for the contract's twin, then flush."""
        self._enqueue(f"settlement {after.id}", lambda: self._record_settlement(after, step))

    def catch_up(self, settlements: Iterable[Settlement]) -> int:
        """Record the current state of each settlement whose twin lags it (after a restart);
        how many were queued. States skipped while the process was down stay skipped."""
        queued = 0
        with self._lock:
            for settlement in settlements:
                record = self._directory.get(TwinKind.CONTRACT, settlement.id)
                if record is None or record.last_step < settlement_step(settlement):
                    self.changed(settlement, settlement, "catch up")
                    queued += 1
        return queued

    def flush(self) -> int:
        """Send queued contracts and settlement states in order; how many went.

        Stops at the first that cannot go now (ledger or store unavailable), to keep
        each twin's order; a job failing for any other reason is logged and dropped,
        so that one bad record cannot hold up every later one.
        """
        done = 0
        with self._lock:
            while self._queue:
                label, job = self._queue[0]
                try:
                    job()
                except _TRANSIENT as error:
                    log.warning("twin of %s deferred: %s", label, error)
                    self._counts["deferred"] += 1
                    return done
                except Exception:
                    log.exception("twin of %s could not be recorded; dropped", label)
                    self._counts["dropped"] += 1
                self._queue.popleft()
                done += 1
        return done

    def _enqueue(self, label: str, job: Callable[[], None]) -> None:
        with self._lock:
            self._queue.append((label, job))
            self.flush()

    def _record_contract(self, contract: SignedContract) -> None:
        match = contract.match
        record = self._directory.get(TwinKind.CONTRACT, match.id)
        if record is not None and record.last_step >= CONTRACT_STEP:
            self._counts["skipped"] += 1
            return
        at_ms = match.matched_at_ms  # documents are deterministic: a re-write is identical
        for party in (match.provider, match.consumer):
            party_twin, publisher = self._open(TwinKind.PARTICIPANT, party, [party])
            document = contract_document(
                contract,
                twin_kind=TwinKind.PARTICIPANT,
                twin_id=party,
                step=party_twin.last_step + 1,
                at_ms=at_ms,
            )
            self._publish(party_twin, publisher, document)
        document = contract_document(
            contract,
            twin_kind=TwinKind.CONTRACT,
            twin_id=match.id,
            step=CONTRACT_STEP,
            at_ms=at_ms,
        )
        self._write(TwinKind.CONTRACT, match.id, [match.provider, match.consumer], document)

    def _record_settlement(self, settlement: Settlement, event: str) -> None:
        record = self._directory.get(TwinKind.CONTRACT, settlement.id)
        if record is None or record.last_step < CONTRACT_STEP:
            # Settlement states follow the signed contract on its twin; without it this state
            # is skipped, and catch_up() records the latest once reconcile() has re-recorded it.
            log.warning(
                "settlement of %s not recorded: its contract is not on its twin", settlement.id
            )
            self._counts["without_contract"] += 1
            return
        contract = settlement.contract
        document = settlement_document(settlement, event, settlement.updated_at_ms)
        self._write(
            TwinKind.CONTRACT, settlement.id, [contract.provider, contract.consumer], document
        )

    # -- writing ---------------------------------------------------------------------------

    def _write(self, kind: TwinKind, record_id: str, parties: list[str], doc: TwinDocument) -> None:
        record, publisher = self._open(kind, record_id, parties)
        if doc.step <= record.last_step:
            self._counts["skipped"] += 1
            return
        self._publish(record, publisher, doc)

    def _publish(self, record: TwinRecord, publisher: Publisher, document: TwinDocument) -> None:
        try:
            publisher.publish(encode_document(document))
            self._directory.advance(
                record.kind, record.record_id, step=document.step, position=publisher.position
            )
        except BaseException:
            # Sent or not, the directory may lag the channel now: reopening the publisher
            # catches up from the ledger before anything is written again.
            self._channels.forget(record.channel_id)
            raise
        self._counts["published"] += 1

    def _open(
        self, kind: TwinKind, record_id: str, parties: list[str]
    ) -> tuple[TwinRecord, Publisher]:
        return self._channels.open(kind, record_id, parties, self._catch_up)

    def _catch_up(self, record: TwinRecord, publisher: Publisher) -> TwinRecord:
        """Learn from the ledger which documents went out after the directory last moved."""
        if not record.ready or publisher.position <= record.position:
            return record
        last = record.last_step
        for entry in Reader(self._gateway, publisher.reader_key(record.position)).read():
            try:
                document = decode_document(entry.content)
            except InvalidTwinDocument:
                continue
            if (document.twin_kind, document.twin_id) == (record.kind, record.record_id):
                last = max(last, document.step)
        self._counts["caught_up"] += 1
        return self._directory.advance(
            record.kind, record.record_id, step=last, position=publisher.position
        )

    # -- keys for auditors ---------------------------------------------------------------

    def reader_key(self, kind: TwinKind, record_id: str) -> ReaderKey | None:
        """The read-only key of a twin for an auditor; it sends nothing."""
        with self._lock:
            return self._channels.reader_key(kind, record_id)

    def send_reader_key(self, kind: TwinKind, record_id: str, auditor: EncryptionPublicKey) -> bool:
        """Seal a twin's read-only key to an auditor's inbox; False if there is no such twin."""
        with self._lock:
            return self._channels.send_reader_key(kind, record_id, auditor)

    def statistics(self) -> dict[str, int]:
        with self._lock:
            return {
                "cached_publishers": self._channels.cached,
                "queued": len(self._queue),
                **self._counts,
                "created": self._channels.created,
                **self._directory.statistics(),
            }
