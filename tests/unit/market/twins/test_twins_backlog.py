"""Admission by twin lag: new work waits while the oldest pending twin state is too old,
and goes on once the publisher has caught up; nothing is half-done by a refusal."""

from __future__ import annotations

import pytest

from plaza.market.errors import TwinsBehind
from plaza.market.twins.backlog import TwinBacklog
from plaza.market.twins.documents import DocumentType, TwinDocument, TwinKind
from plaza.market.twins.memory import MemoryTwinDirectory, MemoryTwinOutbox
from plaza.market.twins.outbox import TwinState, Written
from plaza.testing.clock import FakeClock

LIMIT_MS = 10_000


def _state(order: str) -> TwinState:
    document = TwinDocument(TwinKind.ORDER, order, DocumentType.ORDER, order, 1, 1, {})
    return TwinState.of(document, ["plz1owner"])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def outbox() -> MemoryTwinOutbox:
    return MemoryTwinOutbox(MemoryTwinDirectory())


def test_nothing_pending_admits(clock: FakeClock, outbox: MemoryTwinOutbox) -> None:
    backlog = TwinBacklog(outbox, clock, limit_ms=LIMIT_MS, refresh_ms=0)
    backlog.admit()
    assert backlog.lag_ms() == 0


def test_a_state_pending_longer_than_the_limit_refuses_until_written(
    clock: FakeClock, outbox: MemoryTwinOutbox
) -> None:
    backlog = TwinBacklog(outbox, clock, limit_ms=LIMIT_MS, refresh_ms=0)
    outbox.stage([_state("ord-1")], at_ms=clock.now_ms())
    clock.advance(ms=LIMIT_MS)
    backlog.admit()  # at the limit: still admitted
    clock.advance(ms=3_500)
    with pytest.raises(TwinsBehind) as refused:
        backlog.admit()
    assert (refused.value.lag_ms, refused.value.limit_ms) == (13_500, LIMIT_MS)
    assert refused.value.retry_after_s == 4
    assert refused.value.code == "twins_behind"
    assert "13.5 s behind" in str(refused.value)
    [pending] = outbox.pending(1)
    outbox.mark_written([Written(pending.seq, 1, 0, None)], [], at_ms=clock.now_ms())
    backlog.admit()


def test_the_outbox_is_read_once_per_refresh(clock: FakeClock, outbox: MemoryTwinOutbox) -> None:
    reads: list[int | None] = []

    class Counting:
        def oldest_pending_ms(self) -> int | None:
            reads.append(outbox.oldest_pending_ms())
            return reads[-1]

    backlog = TwinBacklog(Counting(), clock, limit_ms=LIMIT_MS, refresh_ms=250)
    for _ in range(5):
        backlog.admit()
    clock.advance(ms=250)
    backlog.admit()
    assert len(reads) == 2


def test_a_limit_must_be_positive(clock: FakeClock, outbox: MemoryTwinOutbox) -> None:
    with pytest.raises(ValueError, match="positive"):
        TwinBacklog(outbox, clock, limit_ms=0)
