"""The marketplace's digital twins: contract states written exactly once, assets' twins read.

Three jobs sit here so the use cases need not know how channels behave:

* :meth:`TwinKeeper.flush` puts every stored event that belongs on a contract's
  twin there, in order, exactly once, even across ledger outages (see
  :meth:`TwinKeeper._record`);
* :meth:`TwinKeeper.check_first_state` holds a new offer or request against the
  first state of the asset's own twin;
* :meth:`TwinKeeper.audit` holds the contract's twin and both parties' twins
  against the database.
"""

from __future__ import annotations

from collections.abc import Callable

from plaza.channels import CursorStore, ReaderKey
from plaza.crypto import Identity
from plaza.energy.backend.model import (
    AssetRecord,
    ContractAudit,
    EnergyContractRecord,
    RecordEvent,
    TransactionRecord,
    find_in_order,
)
from plaza.energy.backend.ports import Clock, MarketplaceStore
from plaza.energy.errors import InvalidMessage, PeerFailed
from plaza.energy.ledger import LedgerAccess
from plaza.energy.model import Transaction, TransactionType
from plaza.energy.twins import Twins, audit_twin, parse_reader_key, read_twin
from plaza.market.twins.records import TwinAudit

__all__ = ["TwinKeeper"]


class TwinKeeper:
    """The marketplace's twin recorder and reader. Not thread-safe: the marketplace's lock."""

    def __init__(
        self,
        *,
        identity: Identity,
        store: MarketplaceStore,
        cursors: CursorStore,
        ledger: LedgerAccess,
        clock: Clock,
    ) -> None:
        self._identity = identity
        self._store = store
        self._ledger = ledger
        self._twins = Twins(
            identity=identity, gateway=ledger.ledger, cursors=cursors, index=store, clock=clock
        )

    def reader_key(self, record_id: str) -> str:
        return self._twins.reader_key(record_id)

    def flush(self, log: Callable[[str, str], None]) -> int:
        """Write the states still missing from their twins, in order; how many went."""
        written = 0
        self._twins.flush()  # states saved while the ledger was away go first
        for event in self._store.pending_twin_events():
            try:  # exactly once: see Twins.record on saved and repeated states
                step = self._twins.record(event.record_id, event.state)
            except PeerFailed as error:
                log(event.record_id, error.reason)
                break
            self._store.mark_on_twin(event.id, step.position, step.message_id)
            written += 1
        return written

    def check_first_state(
        self, reader: ReaderKey, asset: AssetRecord, transaction: Transaction
    ) -> None:
        """The twin's first state must be this very transaction, signed by the asset.

        A twin with nothing on it yet is the ledger lagging, not a lie: that is a
        :class:`PeerFailed`, so the asset's outbox tries again later.
        """
        entries, problems = read_twin(
            self._ledger.ledger, reader, asset.key.signing, self._ledger.confirmed
        )
        if entries and entries[0].position == 0:
            try:
                first: Transaction | None = Transaction.from_json(entries[0].state)
            except InvalidMessage:
                first = None
            if first != transaction:
                raise InvalidMessage("the twin's first state is not this transaction")
            return
        if problems and not problems[0].startswith("twin unreadable"):
            raise InvalidMessage(f"the twin's first state is not the asset's: {problems[0]}")
        raise PeerFailed("ledger", "", "the transaction's twin cannot be read yet", refused=False)

    def audit(self, record: EnergyContractRecord) -> ContractAudit:
        """The contract's twin, and each party's transaction twin, against the database."""
        events = self._store.events(record.contract_id)
        own = audit_twin(
            self._ledger.ledger,
            parse_reader_key(self._twins.reader_key(record.contract_id)),
            signer=self._identity.public_key,
            confirmed=self._ledger.confirmed,
            expected=[event.state for event in events if event.on_twin],
        )
        offer, request = record.contract.offer, record.contract.request
        return ContractAudit(
            record.contract_id,
            own,
            self._audit_party(self._transaction(TransactionType.OFFER, offer.id), events),
            self._audit_party(self._transaction(TransactionType.REQUEST, request.id), events),
        )

    def audit_transaction(self, record: TransactionRecord) -> TwinAudit:
        """An offer's or request's own twin against the states its asset sent here about it
        (its intake is the twin's first state, not a second one)."""
        intake = f"/{record.first.type}"
        events = [e for e in self._store.events(record.record_id) if e.path != intake]
        return self._audit_party(record, events)

    def _transaction(self, side: TransactionType, transaction_id: str) -> TransactionRecord:
        record = self._store.transaction(side, transaction_id)
        assert record is not None  # a contract is made of two stored transactions
        return record

    def _audit_party(self, record: TransactionRecord, events: list[RecordEvent]) -> TwinAudit:
        """Every state the party sent here must be on its twin, in order, signed, confirmed."""
        asset = self._store.asset(record.first.owner)
        assert asset is not None
        expected = [record.first.to_json()] + [
            e.state for e in events if e.direction == "in" and e.party == asset.asset_id
        ]
        entries, problems = read_twin(
            self._ledger.ledger,
            parse_reader_key(record.twin),
            asset.key.signing,
            self._ledger.confirmed,
        )
        return TwinAudit(tuple(entries), (*problems, *find_in_order(entries, expected)))
