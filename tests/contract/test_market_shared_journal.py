"""Several bid managers on one journal, as the worker processes of one marketplace are: on a
SQLite file and on PostgreSQL, each with its own engine (its own connections, as a process
has), they take turns through the journal's hold, so every order is accepted once and
matched at most its quantity, whoever received it; and a holder that dies mid-step leaves
nothing half-done and does not keep the others waiting."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from market_sql_backends import SQL_BACKENDS, fresh_engine
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from plaza.market.assets.model import AssetQuery
from plaza.market.book.journal import JournalEntry
from plaza.market.book.service import BidManager
from plaza.market.model import NewAsset, NewOrder, Order, Side
from plaza.market.sql import SqlAssetDirectory, SqlBookStore, make_engine
from plaza.market.sql.engine import SqlUnitOfWork, reading, unit_of_work
from plaza.testing import FakeClock

HOUR_MS = 3_600_000
PAIRS = 40


@pytest.fixture(params=SQL_BACKENDS)
def engines(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one migrated database: the first made it, the second opens it anew."""
    with fresh_engine(request.param, request, tmp_path) as first, ExitStack() as stack:
        second = make_engine(first.url, schema=_schema(first))
        stack.callback(second.dispose)
        yield first, second


def _schema(engine: Engine) -> str | None:
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT current_schema()")).scalar_one())


def _manager(engine: Engine, clock: FakeClock) -> BidManager:
    return BidManager(
        SqlBookStore(engine),
        clock=clock,
        assets=SqlAssetDirectory(engine),
        unit=SqlUnitOfWork(engine),
    )


def _order(side: Side, owner: str, clock: FakeClock) -> NewOrder:
    now = clock.now_ms()
    return NewOrder(side, owner, "energy", 1, 100, now, now + HOUR_MS)


def _in_threads(*jobs: Callable[[], None]) -> None:
    failures: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as error:  # reported below, with the others
            failures.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures


def test_two_managers_on_one_journal_accept_each_order_once_and_match_it_once(
    engines: tuple[Engine, Engine],
) -> None:
    clock = FakeClock()
    sellers, buyers = (_manager(engine, clock) for engine in engines)

    def sell() -> None:
        for number in range(PAIRS):
            sellers.submit_order(_order(Side.OFFER, f"plz1seller{number}", clock))

    def buy() -> None:
        for number in range(PAIRS):
            buyers.submit_order(_order(Side.REQUEST, f"plz1buyer{number}", clock))

    _in_threads(sell, buy)

    journal = list(SqlBookStore(engines[0]).entries())
    assert [entry.step for entry in journal] == list(range(1, len(journal) + 1))
    matches = [match for entry in journal for match in entry.matches()]
    assert len(matches) == PAIRS, "every request met one of the equal offers"
    assert Counter(m.offer_id for m in matches).most_common(1)[0][1] == 1
    assert Counter(m.request_id for m in matches).most_common(1)[0][1] == 1
    assert len({m.id for m in matches}) == PAIRS
    seen = [sorted(_states(manager.orders())) for manager in (sellers, buyers)]
    assert seen[0] == seen[1], "both answer with the journal's book"
    assert len(seen[0]) == 2 * PAIRS
    assert {state for _, _, state in seen[0]} == {"filled"}


def _states(orders: list[Order]) -> Iterator[tuple[str, str, str]]:
    for order in orders:
        yield order.id, order.owner, order.status.value


def test_assets_registered_through_two_managers_get_distinct_ids(
    engines: tuple[Engine, Engine],
) -> None:
    clock = FakeClock()
    managers = [_manager(engine, clock) for engine in engines]

    def register(manager: BidManager, owner: str) -> Callable[[], None]:
        def job() -> None:
            for number in range(10):
                manager.register_asset(NewAsset(owner, "energy", f"panel {number}"))

        return job

    _in_threads(register(managers[0], "plz1ann"), register(managers[1], "plz1bob"))
    everyone = AssetQuery(statuses=frozenset(), limit=None)
    assert len({asset.id for asset in managers[1].search_assets(everyone)}) == 20


@pytest.mark.postgres
@pytest.mark.parametrize("engines", ["postgres"], indirect=True)
def test_the_hold_keeps_others_waiting_until_its_holder_dies_and_leaves_no_step(
    engines: tuple[Engine, Engine],
) -> None:
    first, second = engines
    clock = FakeClock()
    survivor = _manager(second, clock)
    accepted: list[str] = []
    waiting = threading.Thread(
        target=lambda: accepted.append(
            survivor.submit_order(_order(Side.OFFER, "plz1ann", clock)).order.id
        )
    )
    with pytest.raises(DBAPIError):  # the dead connection commits nothing
        _hold_then_die(first, clock, waiting)
    assert accepted, "the hold went with its holder's connection"
    journal = list(SqlBookStore(second).entries())
    assert [entry.accepted()[0].owner for entry in journal] == ["plz1ann"]


def _hold_then_die(engine: Engine, clock: FakeClock, waiting: threading.Thread) -> None:
    """A worker holds the journal and writes a step, a second waits, the first is killed."""
    with unit_of_work(engine):
        SqlBookStore(engine).hold()
        SqlBookStore(engine).append(JournalEntry(1, clock.now_ms(), ()))
        with reading(engine) as conn:  # the unit's own connection
            holder = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive(), "a second writer waits while the hold is held"
        with engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": holder})
        waiting.join(10)
