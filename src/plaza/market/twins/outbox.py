"""The twin outbox: twin states committed in the marketplace's database, on the ledger later.

Recording a twin state used to mean writing it to the ledger (a channel message, its
proof of work, two HTTP calls) before the request that caused it answered. With the
outbox, the request path only stages the state: one row in the marketplace's own
database, in the transaction that also moves the journal's twin mark for orders.
:class:`~plaza.market.twins.publisher.OutboxPublisher` writes pending rows to their twins
in batches, oldest first, so each twin's states keep their order.

Exactly once, end to end:

* staging is idempotent: a state already staged (same twin, document type, record and
  step) is skipped by the store, so a retry or a catch-up after a restart adds nothing;
* a row is marked written, with its channel position and message id, in the same
  transaction that moves its twin's progress in the twin directory; the channel cursor
  (saved with the message's bytes before each submit) may be ahead of both after a
  crash, never behind, and the publisher reads the ledger between the two before it
  writes that twin again (see :mod:`plaza.market.twins.publisher`).

Adapters: :class:`~plaza.market.twins.memory.MemoryTwinOutbox` and
:class:`~plaza.market.sql.outbox_store.SqlTwinOutbox` (SQLite, PostgreSQL), one contract
suite (``tests/contract/test_market_sql_outbox.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from plaza.market.twins.documents import TwinDocument, TwinKind, encode_document

__all__ = ["NEXT_STEP", "PendingState", "Progress", "TwinOutbox", "TwinState", "Written"]

#: The step of a state that takes the next one on its twin when written (participant twins:
#: one document per contract, numbered in the order they reach the twin).
NEXT_STEP = 0


@dataclass(frozen=True, slots=True)
class TwinState:
    """One twin document to write, and who may read the twin if it is created for it.

    ``document`` is the encoded document; when ``step`` is :data:`NEXT_STEP` its own
    step is 0 and the publisher puts the twin's next one in before writing it.
    """

    kind: TwinKind
    twin_id: str
    doc_type: str
    record: str
    step: int
    parties: tuple[str, ...]
    document: bytes

    @classmethod
    def of(
        cls, document: TwinDocument, parties: Sequence[str], *, next_step: bool = False
    ) -> TwinState:
        if next_step:
            document = replace(document, step=NEXT_STEP)
        return cls(
            document.twin_kind,
            document.twin_id,
            document.type.value,
            document.record,
            document.step,
            tuple(parties),
            encode_document(document),
        )


@dataclass(frozen=True, slots=True)
class PendingState:
    """A staged state not yet on its twin; ``seq`` orders all states, oldest first."""

    seq: int
    state: TwinState
    committed_at_ms: int


@dataclass(frozen=True, slots=True)
class Written:
    """Where a staged state landed: its step on the twin, channel position and message id
    (``position`` and ``message_id`` are ``None`` for a state found already written by an
    older recorder, whose position nobody kept)."""

    seq: int
    step: int
    position: int | None
    message_id: bytes | None


@dataclass(frozen=True, slots=True)
class Progress:
    """A twin's progress to store with the rows marked: its last step and next position."""

    kind: TwinKind
    twin_id: str
    last_step: int
    position: int


class TwinOutbox(Protocol):
    """Staged twin states; every method is one transaction."""

    def stage(self, states: Sequence[TwinState], *, at_ms: int, orders_through: int = 0) -> int:
        """Add the states not staged yet (committed at ``at_ms``) and move the journal mark
        of order twins to ``orders_through`` (never back); how many states were new."""
        ...

    def staged_step(self, kind: TwinKind, twin_id: str) -> int:
        """The highest step staged for a twin (0: none; :data:`NEXT_STEP` rows not counted)."""
        ...

    def pending(self, limit: int) -> list[PendingState]:
        """Up to ``limit`` states not yet written, oldest first."""
        ...

    def pending_of(self, kind: TwinKind, twin_id: str) -> list[PendingState]:
        """Every state of one twin not yet written, oldest first."""
        ...

    def oldest_pending_ms(self) -> int | None:
        """When the first state the publisher will write next was committed (``None``:
        nothing pending): how far behind the twins are."""
        ...

    def mark_written(
        self, written: Sequence[Written], progress: Sequence[Progress], *, at_ms: int
    ) -> None:
        """Mark states written at ``at_ms`` and move their twins' progress forward
        (``last_step`` and ``position`` never move back), all at once."""
        ...

    def lags_ms(self) -> list[int]:
        """For every state written: milliseconds from staged to written, in no order."""
        ...

    def written_messages(self) -> list[tuple[int, bytes]]:
        """For every state written where it was seen: when it was staged, and its message."""
        ...

    def counts(self) -> dict[str, int]:
        """States ``pending`` and ``written``."""
        ...
