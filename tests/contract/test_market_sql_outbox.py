"""The TwinOutbox contract: one suite, run against memory, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from market_sql_backends import ALL_BACKENDS, fresh_engine

from plaza.market.sql.outbox_store import SqlTwinOutbox
from plaza.market.sql.twin_store import SqlTwinDirectory
from plaza.market.twins.documents import DocumentType, TwinDocument, TwinKind
from plaza.market.twins.memory import MemoryTwinDirectory, MemoryTwinOutbox
from plaza.market.twins.outbox import NEXT_STEP, Progress, TwinOutbox, TwinState, Written
from plaza.market.twins.ports import TwinDirectory, TwinRecord


@dataclass
class Stores:
    outbox: TwinOutbox
    directory: TwinDirectory


@pytest.fixture(params=ALL_BACKENDS)
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    if request.param == "memory":
        directory = MemoryTwinDirectory()
        yield Stores(MemoryTwinOutbox(directory), directory)
        return
    with fresh_engine(request.param, request, tmp_path) as engine:
        yield Stores(SqlTwinOutbox(engine), SqlTwinDirectory(engine))


def order_state(order: str, step: int) -> TwinState:
    document = TwinDocument(
        TwinKind.ORDER, order, DocumentType.ORDER, order, step, 1_000 + step, {"n": step}
    )
    return TwinState.of(document, ["plz1owner"])


def contract_on(party: str, contract: str) -> TwinState:
    document = TwinDocument(
        TwinKind.PARTICIPANT, party, DocumentType.CONTRACT, contract, 7, 2_000, {}
    )
    return TwinState.of(document, [party], next_step=True)


def test_staged_states_come_back_pending_oldest_first(stores: Stores) -> None:
    outbox = stores.outbox
    states = [order_state("ord-1", 1), order_state("ord-2", 1), order_state("ord-1", 2)]
    assert outbox.stage(states, at_ms=5_000) == 3
    pending = outbox.pending(10)
    assert [p.state for p in pending] == states
    assert [p.committed_at_ms for p in pending] == [5_000] * 3
    assert [p.seq for p in pending] == sorted(p.seq for p in pending)
    assert [p.state for p in outbox.pending(2)] == states[:2]
    assert [p.state for p in outbox.pending_of(TwinKind.ORDER, "ord-1")] == [states[0], states[2]]
    assert outbox.staged_step(TwinKind.ORDER, "ord-1") == 2
    assert outbox.staged_step(TwinKind.ORDER, "ord-9") == 0
    assert outbox.counts() == {"pending": 3, "written": 0}


def test_a_state_is_staged_once(stores: Stores) -> None:
    outbox = stores.outbox
    assert outbox.stage([order_state("ord-1", 1), contract_on("plz1a", "mat-1")], at_ms=1) == 2
    again = [order_state("ord-1", 1), contract_on("plz1a", "mat-1"), contract_on("plz1a", "mat-2")]
    assert outbox.stage(again, at_ms=2) == 1
    assert [p.state.record for p in outbox.pending(10)] == ["ord-1", "mat-1", "mat-2"]
    assert outbox.pending(10)[1].state.step == NEXT_STEP
    assert outbox.staged_step(TwinKind.PARTICIPANT, "plz1a") == NEXT_STEP


def test_staging_moves_the_journal_mark_never_back(stores: Stores) -> None:
    stores.outbox.stage([order_state("ord-1", 4)], at_ms=1, orders_through=4)
    stores.outbox.stage([], at_ms=1, orders_through=2)
    assert stores.directory.recorded_through() == 4


def test_marking_written_moves_the_twin_with_the_rows(stores: Stores) -> None:
    outbox, directory = stores.outbox, stores.directory
    directory.add(TwinRecord(TwinKind.ORDER, "ord-1", b"\x01" * 32, "cursors", 0, 0, 2, True))
    outbox.stage([order_state("ord-1", 1), order_state("ord-1", 2)], at_ms=1_000)
    first, second = outbox.pending(10)
    marks = [Written(first.seq, 1, 2, b"\xaa" * 32)]
    outbox.mark_written(marks, [Progress(TwinKind.ORDER, "ord-1", 1, 3)], at_ms=1_250)
    assert [p.seq for p in outbox.pending(10)] == [second.seq]
    record = directory.get(TwinKind.ORDER, "ord-1")
    assert record is not None
    assert (record.last_step, record.position) == (1, 3)
    outbox.mark_written([], [Progress(TwinKind.ORDER, "ord-1", 0, 1)], at_ms=1_300)  # no going back
    record = directory.get(TwinKind.ORDER, "ord-1")
    assert record is not None
    assert (record.last_step, record.position) == (1, 3)
    outbox.mark_written(marks, [], at_ms=9_999)  # marking again keeps the first time
    assert outbox.lags_ms() == [250]
    assert outbox.written_messages() == [(1_000, b"\xaa" * 32)]
    assert outbox.counts() == {"pending": 1, "written": 1}


def test_a_found_state_is_marked_without_a_position(stores: Stores) -> None:
    outbox = stores.outbox
    outbox.stage([order_state("ord-1", 1)], at_ms=10)
    [pending] = outbox.pending(1)
    outbox.mark_written([Written(pending.seq, 1, None, None)], [], at_ms=20)
    assert outbox.pending(1) == []
    assert outbox.lags_ms() == [10]
    assert outbox.written_messages() == []


def test_concurrent_staging_of_one_state_adds_it_once(stores: Stores) -> None:
    added: list[int] = []
    barrier = threading.Barrier(4)

    def stage() -> None:
        barrier.wait()
        added.append(stores.outbox.stage([order_state("ord-1", 1)], at_ms=1))

    threads = [threading.Thread(target=stage) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(added) == [0, 0, 0, 1]
    assert len(stores.outbox.pending(10)) == 1


def test_the_oldest_pending_state_is_the_one_written_next(stores: Stores) -> None:
    outbox = stores.outbox
    assert outbox.oldest_pending_ms() is None
    outbox.stage([order_state("ord-1", 1)], at_ms=1_000)
    outbox.stage([order_state("ord-2", 1)], at_ms=2_000)
    assert outbox.oldest_pending_ms() == 1_000
    first, second = outbox.pending(10)
    outbox.mark_written([Written(first.seq, 1, 0, None)], [], at_ms=3_000)
    assert outbox.oldest_pending_ms() == 2_000
    outbox.mark_written([Written(second.seq, 1, 0, None)], [], at_ms=3_000)
    assert outbox.oldest_pending_ms() is None
