"""The marketplace's twin recorder with an outbox: states staged on the request path, written
by the :class:`~plaza.market.twins.publisher.OutboxPublisher` off it.

:class:`StagedTwins` takes the recorder's roles (the bid manager's order and asset twins,
the contract desk's contract twins, settlement's listener, the marketplace's twin queue)
as :class:`~plaza.market.twins.recorder.ChannelTwins` does, but each state costs the
request one insert into the marketplace's database instead of a channel message with its
proof of work and HTTP calls. The documents are the same bytes (they are deterministic),
except that a contract's document on a participant's twin gets the twin's next step when
it is written, not when it is staged.

With the SQL stores a journal step, a settlement state or an asset state is staged in
the unit of work that stores it (:mod:`plaza.market.units`): both commit or neither does.
Where they are apart (in memory; a contract, staged just after the step that made its
match) a crash between them is recovered as before: order changes past the journal mark
(which moves in the staging transaction) are staged again when the bid manager starts,
asset states past the staged version likewise, ``Marketplace.reconcile`` stages journaled
contracts again and :meth:`catch_up` each settlement's latest state. Staging again what
is staged adds nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence

from plaza.channels import ReaderKey
from plaza.clock import Clock
from plaza.crypto import EncryptionPublicKey
from plaza.market.book.journal import OrderChange
from plaza.market.contracts import SignedContract
from plaza.market.errors import StoreFailed
from plaza.market.model import Asset
from plaza.market.settlement import Settlement
from plaza.market.twins.channels import TwinChannels
from plaza.market.twins.documents import (
    CONTRACT_STEP,
    TwinDocument,
    TwinKind,
    asset_document,
    contract_document,
    order_document,
    settlement_document,
    settlement_step,
)
from plaza.market.twins.outbox import NEXT_STEP, TwinOutbox, TwinState
from plaza.market.twins.publisher import OutboxPublisher

__all__ = ["StagedTwins"]

log = logging.getLogger(__name__)


class StagedTwins:
    """Twin states into the outbox; the publisher takes them to the ledger."""

    def __init__(
        self,
        *,
        outbox: TwinOutbox,
        channels: TwinChannels,
        publisher: OutboxPublisher,
        clock: Clock,
    ) -> None:
        self._outbox = outbox
        self._channels = channels
        self._directory = channels.directory
        self._publisher = publisher
        self._clock = clock
        self._counts: Counter[str] = Counter(staged=0, unstaged=0, without_contract=0)

    @property
    def publisher(self) -> OutboxPublisher:
        return self._publisher

    @property
    def outbox(self) -> TwinOutbox:
        return self._outbox

    # -- orders: the bid manager's OrderTwins ----------------------------------------------

    def record(self, changes: Sequence[OrderChange]) -> None:
        """Stage the order changes past the journal mark, and move the mark with them.

        A database failure raises :class:`~plaza.market.errors.StoreFailed` rather than
        :class:`~plaza.market.errors.TwinUnavailable`: the bid manager stages in the unit
        of work that journals the step, so the step fails with its twin states.
        """
        through = self._directory.recorded_through()
        fresh = [change for change in changes if change.step > through]
        if fresh:
            states = [TwinState.of(order_document(c), [c.order.owner]) for c in fresh]
            self._stage(states, orders_through=max(change.step for change in fresh))

    def recorded_through(self) -> int:
        return self._directory.recorded_through()

    # -- assets ----------------------------------------------------------------------------

    def record_asset(self, state: Asset) -> None:
        """Stage an asset state in the registry's unit of work (a failure undoes both)."""
        self._stage([TwinState.of(asset_document(state), [state.owner])])

    def asset_recorded_through(self, asset_id: str) -> int:
        return self._staged_step(TwinKind.ASSET, asset_id)

    # -- a vertical's own channels --------------------------------------------------------

    def record_documents(self, documents: Sequence[TwinDocument]) -> int:
        """Stage documents a vertical writes to a twin of its own (its orders channel), each
        taking the twin's next step when written, read by the marketplace and its auditors;
        how many were new. A document staged before (same twin, type and record) adds
        nothing, so a vertical may stage its records' states again after a restart."""
        return self._stage([TwinState.of(document, (), next_step=True) for document in documents])

    # -- contracts and settlements ---------------------------------------------------------

    def record_contract(self, contract: SignedContract) -> None:
        """Stage the signed contract for both parties' twins and its own twin."""
        match = contract.match
        record = self._directory.get(TwinKind.CONTRACT, match.id)
        if record is not None and record.last_step >= CONTRACT_STEP:
            return  # written before the outbox existed: the parties' twins have it too
        parties = [match.provider, match.consumer]
        states = [
            TwinState.of(
                contract_document(
                    contract,
                    twin_kind=TwinKind.PARTICIPANT,
                    twin_id=party,
                    step=NEXT_STEP,
                    at_ms=match.matched_at_ms,
                ),
                [party],
                next_step=True,
            )
            for party in parties
        ]
        own = contract_document(
            contract,
            twin_kind=TwinKind.CONTRACT,
            twin_id=match.id,
            step=CONTRACT_STEP,
            at_ms=match.matched_at_ms,
        )
        states.append(TwinState.of(own, parties))
        self._stage_quietly(f"contract {match.id}", states)

    def changed(self, before: Settlement, after: Settlement, step: str) -> None:
        """Stage the settlement's new state for the contract's twin, in the settlement's unit
        of work: a failure raises, so the change and its twin state are undone together."""
        self._stage_settlement(after, step, quietly=False)

    def catch_up(self, settlements: Iterable[Settlement]) -> int:
        """Stage the current state of each settlement whose twin lags it (after a restart);
        how many. States missed while the process was down stay missed."""
        staged = 0
        for settlement in settlements:
            if self._staged_step(TwinKind.CONTRACT, settlement.id) < settlement_step(settlement):
                staged += self._stage_settlement(settlement, "catch up")
        return staged

    def flush(self) -> int:
        """Wake the running publisher; without one (tests, tools, a marketplace starting up),
        write one batch now, so a backlog never holds up a start. How many were written."""
        if self._publisher.running:
            self._publisher.wake()
            return 0
        return self._publisher.publish_pending()

    def _stage_settlement(self, settlement: Settlement, event: str, *, quietly: bool = True) -> int:
        if self._staged_step(TwinKind.CONTRACT, settlement.id) < CONTRACT_STEP:
            # Settlement states follow the signed contract on its twin; without it this state
            # is skipped, and catch_up() stages the latest once reconcile() staged the contract.
            log.warning("settlement of %s not staged: its contract is not", settlement.id)
            self._counts["without_contract"] += 1
            return 0
        contract = settlement.contract
        document = settlement_document(settlement, event, settlement.updated_at_ms)
        states = [TwinState.of(document, [contract.provider, contract.consumer])]
        if quietly:
            return self._stage_quietly(f"settlement {settlement.id}", states)
        return self._stage(states)

    # -- staging ---------------------------------------------------------------------------

    def _staged_step(self, kind: TwinKind, twin_id: str) -> int:
        record = self._directory.get(kind, twin_id)
        written = 0 if record is None else record.last_step
        return max(written, self._outbox.staged_step(kind, twin_id))

    def _stage(self, states: Sequence[TwinState], *, orders_through: int = 0) -> int:
        added = self._outbox.stage(
            states, at_ms=self._clock.now_ms(), orders_through=orders_through
        )
        self._counts["staged"] += added
        if added:
            self._publisher.wake()
        return added

    def _stage_quietly(self, label: str, states: Sequence[TwinState]) -> int:
        """Stage, or log why not: the restart's catch-ups stage it again (never raises, as
        the asset, contract and settlement roles promise)."""
        try:
            return self._stage(states)
        except StoreFailed as error:
            log.warning("twin of %s not staged: %s", label, error)
            self._counts["unstaged"] += 1
            return 0

    # -- keys and figures ------------------------------------------------------------------

    def reader_key(self, kind: TwinKind, record_id: str) -> ReaderKey | None:
        """A twin's read-only key for an auditor; None until its first state is written."""
        return self._channels.reader_key(kind, record_id)

    def send_reader_key(self, kind: TwinKind, record_id: str, auditor: EncryptionPublicKey) -> bool:
        return self._channels.send_reader_key(kind, record_id, auditor)

    def lags_ms(self) -> list[int]:
        """Milliseconds from staged to written, one per state written."""
        return self._outbox.lags_ms()

    def written_messages(self) -> list[tuple[int, bytes]]:
        """When each written state was staged, and its message (to ask the ledger when it
        was confirmed)."""
        return self._outbox.written_messages()

    def statistics(self) -> dict[str, int]:
        publisher = self._publisher.statistics()
        return {
            "cached_publishers": self._channels.cached,
            "created": self._channels.created,
            "queued": publisher["pending"],
            **self._counts,
            **publisher,
            **self._directory.statistics(),
        }
