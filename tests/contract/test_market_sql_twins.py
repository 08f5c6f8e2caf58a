"""The TwinDirectory contract: one suite, run against memory, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from market_sql_backends import ALL_BACKENDS, fresh_engine

from plaza.market.sql.twin_store import SqlTwinDirectory
from plaza.market.twins.documents import TwinKind
from plaza.market.twins.memory import MemoryTwinDirectory
from plaza.market.twins.ports import TwinDirectory, TwinRecord


@pytest.fixture(params=ALL_BACKENDS)
def directory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TwinDirectory]:
    if request.param == "memory":
        yield MemoryTwinDirectory()
        return
    with fresh_engine(request.param, request, tmp_path) as engine:
        yield SqlTwinDirectory(engine)


def twin(number: int, kind: TwinKind = TwinKind.ORDER) -> TwinRecord:
    return TwinRecord(kind, f"ord-{number}", bytes([number]) * 32, "cursors.sqlite", 1_000)


def test_add_get_and_add_again(directory: TwinDirectory) -> None:
    assert directory.get(TwinKind.ORDER, "ord-1") is None
    assert directory.add(twin(1)) == twin(1)
    assert directory.get(TwinKind.ORDER, "ord-1") == twin(1)
    other = TwinRecord(TwinKind.ORDER, "ord-1", b"\x09" * 32, "elsewhere", 2_000)
    assert directory.add(other) == twin(1)  # the first twin wins
    assert directory.get(TwinKind.CONTRACT, "ord-1") is None  # kinds are apart


def test_progress_only_moves_forward(directory: TwinDirectory) -> None:
    directory.add(twin(1))
    moved = directory.advance(TwinKind.ORDER, "ord-1", step=5, position=3, ready=True)
    assert (moved.last_step, moved.position, moved.ready) == (5, 3, True)
    back = directory.advance(TwinKind.ORDER, "ord-1", step=2, position=1)
    assert (back.last_step, back.position, back.ready) == (5, 3, True)
    assert directory.get(TwinKind.ORDER, "ord-1") == back
    with pytest.raises(KeyError):
        directory.advance(TwinKind.ORDER, "missing", step=1, position=1)


def test_the_journal_mark_never_moves_back(directory: TwinDirectory) -> None:
    assert directory.recorded_through() == 0
    directory.set_recorded_through(7)
    directory.set_recorded_through(3)
    assert directory.recorded_through() == 7


def test_statistics_count_twins_per_kind(directory: TwinDirectory) -> None:
    directory.add(twin(1))
    directory.add(twin(2))
    directory.add(twin(3, TwinKind.CONTRACT))
    directory.set_recorded_through(4)
    assert directory.statistics() == {
        "order_twins": 2,
        "contract_twins": 1,
        "participant_twins": 0,
        "asset_twins": 0,
        "orders_twins": 0,
        "through": 4,
    }


def test_racing_advances_keep_the_largest(directory: TwinDirectory) -> None:
    directory.add(twin(1))
    barrier = threading.Barrier(4)

    def advance(step: int) -> None:
        barrier.wait()
        directory.advance(TwinKind.ORDER, "ord-1", step=step, position=step * 2)

    workers = [threading.Thread(target=advance, args=(step,)) for step in (4, 9, 2, 7)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    stored = directory.get(TwinKind.ORDER, "ord-1")
    assert stored is not None
    assert (stored.last_step, stored.position) == (9, 18)
