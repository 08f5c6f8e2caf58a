"""The outbox publisher: staged twin states to the ledger, in batches, each exactly once.

One batch takes the oldest pending states of the :mod:`outbox <plaza.market.twins.outbox>`,
writes each to its twin in order (one channel message each; with carriers, many channel
messages share one ledger message, and the batch's last carrier goes before anything is
marked), then marks them all written, with their positions and message ids, in one
transaction that also moves their twins' progress. So the outbox and
the twin directory always agree; only the channel cursor can be ahead of them (it is
saved with each message's bytes before the submit), and only after a crash or a failed
step. Then the twin's cached publisher is dropped, and reopening it catches up: the
channel is read from the directory's position to the cursor's, each document found is
matched to the twin's oldest pending state of the same type, record and step, and those
states are marked written where the ledger has them, before anything is written again.
A state is therefore neither lost (it stays pending until marked) nor written twice
(what reached the ledger is found there), wherever the process dies.

States of one twin go out in staging order; a twin whose state cannot be written now
holds back only its own later states (ledger or store trouble holds back the batch).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from plaza.channels import ChannelError, Publisher, Reader
from plaza.ledger.errors import LedgerAccessError
from plaza.market.errors import StoreFailed
from plaza.market.leases import Lease, SoleLease
from plaza.market.twins.channels import TwinChannels
from plaza.market.twins.documents import (
    InvalidTwinDocument,
    TwinDocument,
    TwinKind,
    decode_document,
    encode_document,
)
from plaza.market.twins.outbox import NEXT_STEP, PendingState, Progress, TwinOutbox, Written
from plaza.market.twins.ports import TwinRecord

__all__ = ["OutboxPublisher"]

log = logging.getLogger(__name__)

_TRANSIENT = (ChannelError, LedgerAccessError, StoreFailed)
Twin = tuple[TwinKind, str]


@dataclass
class _Batch:
    """What one batch wrote, not yet marked: the marks, and each twin's progress so far."""

    written: list[Written] = field(default_factory=list)
    twins: dict[Twin, tuple[TwinRecord, Publisher]] = field(default_factory=dict)
    opened: dict[Twin, tuple[TwinRecord, Publisher]] = field(default_factory=dict)
    held: set[Twin] = field(default_factory=set)

    def add(self, mark: Written, record: TwinRecord, publisher: Publisher) -> None:
        self.written.append(mark)
        self.twins[(record.kind, record.record_id)] = (record, publisher)

    def progress(self) -> list[Progress]:
        return [
            Progress(record.kind, record.record_id, record.last_step, record.position)
            for record, _ in self.twins.values()
        ]


class OutboxPublisher:
    """The one writer of the outbox's states; call :meth:`publish_pending` or :meth:`run`."""

    def __init__(
        self,
        channels: TwinChannels,
        outbox: TwinOutbox,
        *,
        batch_size: int = 64,
        lease: Lease | None = None,
    ) -> None:
        self._channels = channels
        self._outbox = outbox
        self._batch_size = batch_size
        self._lease: Lease = lease or SoleLease()
        self._generation = 0  # of the lease, when this process last published
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._found: set[int] = set()  # states a catch-up found on the ledger this batch
        self._counts: Counter[str] = Counter(published=0, found=0, caught_up=0, deferred=0)
        self.running = False

    def wake(self) -> None:
        """A state was staged: let a waiting :meth:`run` go now instead of at its next poll."""
        self._wake.set()

    def publish_pending(self) -> int:
        """Write one batch of pending states; how many were marked written. Nothing while
        another worker of the marketplace holds its lease (and publishes)."""
        with self._lock:
            if not self._lease.held():
                return 0
            if self._lease.generation != self._generation:
                # Another worker may have written our cached twins while we did not hold it.
                self._channels.forget_all()
                self._generation = self._lease.generation
            return self._publish_batch()

    def drain(self) -> int:
        """Write batches until none is pending or none can go now; how many were marked."""
        total = 0
        while done := self.publish_pending():
            total += done
        return total

    def run(self, stop: threading.Event, *, idle_s: float = 0.5) -> None:
        """Publish until ``stop`` is set: at once while states are pending, else when woken
        or every ``idle_s`` (the retry interval too, while the ledger is unreachable)."""
        self.running = True
        try:
            while not stop.is_set():
                try:
                    done = self.publish_pending()
                except Exception:
                    log.exception("publishing twin states failed; retrying")
                    done = 0
                if not done:
                    self._wake.wait(idle_s)
                    self._wake.clear()
        finally:
            self.running = False

    def statistics(self) -> dict[str, int]:
        return {**self._counts, **self._outbox.counts()}

    # -- one batch -------------------------------------------------------------------------

    def _publish_batch(self) -> int:
        batch, self._found = _Batch(), set()
        try:
            rows = self._outbox.pending(self._batch_size)
            # Every twin of the batch first, so new twins' set-ups share carriers; then states.
            if all(self._try(row, batch, self._open_twin) for row in rows):
                for row in rows:
                    if not self._try(row, batch, self._write):
                        break
            self._channels.flush()  # with carriers, nothing is written before this returns
            if batch.written:
                self._outbox.mark_written(
                    batch.written, batch.progress(), at_ms=self._channels.clock.now_ms()
                )
        except _TRANSIENT as error:
            # The node went away under the carriers' flush (or the database under the
            # marking): the batch waits, as a twin that cannot be opened does.
            self._channels.forget_all()
            log.warning("twin states wait: %s", error)
            self._counts["deferred"] += 1
            return 0
        except BaseException:
            # Whatever went out is on the channels but marked nowhere: every twin catches up
            # from the ledger before it is written again.
            self._channels.forget_all()
            raise
        return len(batch.written) + len(self._found)

    def _try(
        self, row: PendingState, batch: _Batch, step: Callable[[PendingState, _Batch], None]
    ) -> bool:
        """Open a state's twin or write the state, unless its twin is held; False when the
        whole batch must stop."""
        twin = (row.state.kind, row.state.twin_id)
        if twin in batch.held or row.seq in self._found:
            return True
        try:
            step(row, batch)
        except _TRANSIENT as error:
            log.warning("twin states wait: %s", error)
            self._counts["deferred"] += 1
            self._hold(twin, batch)
            return False
        except Exception:
            log.exception("twin state %s of %s %s could not be written", row.seq, *twin)
            self._hold(twin, batch)
        return True

    def _hold(self, twin: Twin, batch: _Batch) -> None:
        batch.held.add(twin)
        opened = batch.twins.get(twin)
        if opened is not None:
            self._channels.forget(opened[0].channel_id)
        else:
            self._channels.forget_all()  # which channel failed is unknown: reopen them all

    def _write(self, row: PendingState, batch: _Batch) -> None:
        state = row.state
        record, publisher = self._open(row, batch)
        if row.seq in self._found:
            return
        if state.step != NEXT_STEP and state.step <= record.last_step:
            batch.add(Written(row.seq, state.step, None, None), record, publisher)
            self._counts["found"] += 1  # an older recorder wrote it; where, nobody kept
            return
        step = state.step or record.last_step + 1
        content = state.document if state.step else _with_step(state.document, step)
        self._channels.before_publishing(publisher.channel.id)
        published = publisher.publish(content)
        record = replace(record, last_step=step, position=publisher.position)
        batch.add(
            Written(row.seq, step, published.position, published.message_id), record, publisher
        )
        self._counts["published"] += 1

    def _open_twin(self, row: PendingState, batch: _Batch) -> None:
        twin = (row.state.kind, row.state.twin_id)
        if twin not in batch.opened:
            batch.opened[twin] = self._open(row, batch)

    def _open(self, row: PendingState, batch: _Batch) -> tuple[TwinRecord, Publisher]:
        state = row.state
        twin = (state.kind, state.twin_id)
        opened = batch.twins.get(twin) or batch.opened.get(twin)
        if opened is not None:
            return opened
        return self._channels.open(state.kind, state.twin_id, state.parties, self._catch_up)

    # -- after a crash ---------------------------------------------------------------------

    def _catch_up(self, record: TwinRecord, publisher: Publisher) -> TwinRecord:
        """Mark the pending states the ledger already has between directory and cursor."""
        if not record.ready or publisher.position <= record.position:
            return record
        pending = self._outbox.pending_of(record.kind, record.record_id)
        marks: list[Written] = []
        last = record.last_step
        for entry in Reader(self._channels.gateway, publisher.reader_key(record.position)).read():
            document = _document_of(entry.content, record)
            if document is None:
                continue
            last = max(last, document.step)
            row = _match(document, pending)
            if row is not None:
                pending.remove(row)
                marks.append(Written(row.seq, document.step, entry.position, entry.message_id))
        caught = replace(record, last_step=last, position=publisher.position)
        progress = Progress(record.kind, record.record_id, last, publisher.position)
        self._outbox.mark_written(marks, [progress], at_ms=self._channels.clock.now_ms())
        self._found.update(mark.seq for mark in marks)
        self._counts["caught_up"] += 1
        return caught


def _document_of(content: bytes, record: TwinRecord) -> TwinDocument | None:
    try:
        document = decode_document(content)
    except InvalidTwinDocument:
        return None
    if (document.twin_kind, document.twin_id) != (record.kind, record.record_id):
        return None
    return document


def _match(document: TwinDocument, pending: list[PendingState]) -> PendingState | None:
    """The oldest pending state the document is: same type and record, same step (or the
    twin's next, which is the step it was given)."""
    for row in pending:
        state = row.state
        if (state.doc_type, state.record) == (document.type.value, document.record) and (
            state.step in (document.step, NEXT_STEP)
        ):
            return row
    return None


def _with_step(content: bytes, step: int) -> bytes:
    return encode_document(replace(decode_document(content), step=step))
