"""Two marketplace workers on PostgreSQL under load, and the one holding the lease SIGKILLed.

The lease holder runs the twin publisher (and the periodic round) and matches like the
other; traders keep trading through the kill, retrying a request that got no answer
with the same idempotency key, as a real agent does. Afterwards: every order a trader
was told accepted is in the journal exactly once, and no other; every request traded
exactly once, with its own offer; every contract has its settlement; the other worker
took the lease over and the twin outbox emptied; and an audit of every order and
contract against the ledger finds each twin complete, in order, nothing written twice.
Skipped locally without PostgreSQL; in CI (``CI=true``) a missing server fails.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest
from market_workers_kit import MarketWorkers, journal
from node_processes import NodeProcess
from postgres_support import fresh_schema
from sqlalchemy import Engine, text

from plaza.bootstrap.clock import SystemClock
from plaza.bootstrap.market_files import MarketDataDir
from plaza.bootstrap.market_ledger import build_auditor, open_ledger
from plaza.clients.errors import ApiError, NodeUnreachableError
from plaza.clients.market import MarketClient, OrderTerms, SubmissionRecord
from plaza.crypto import Identity
from plaza.market.audit.service import BookAndSettlements
from plaza.market.auth import Role
from plaza.market.book.service import BidManager
from plaza.market.leases import SoleLease
from plaza.market.sql import SqlBookStore, SqlParticipantStore, SqlSettlementStore, make_engine
from plaza.market.sql.outbox_store import SqlTwinOutbox
from plaza.settings import MarketSettings

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

TRADERS, PAIRS = 4, 15
_HOUR_MS = 3_600_000
_LEASE_HOLDER = text(
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 1886157420"  # "plzl"
    " AND l.objid::bigint = (hashtext(:schema)::bigint & 4294967295)"
)
R = TypeVar("R")


def _retried(call: Callable[[], R]) -> R:
    """A request again, with the same idempotency key, until a worker answers it."""
    for _ in range(100):
        try:
            return call()
        except NodeUnreachableError:
            pass
        except ApiError as error:
            if error.status < 500:
                raise
        time.sleep(0.1)
    raise AssertionError("no worker answered")


@dataclass
class Trader:
    """One agent: offers, then a request crossing it, in a kind of its own."""

    url: str
    number: int
    done: Callable[[], None]
    trades: list[tuple[str, SubmissionRecord]] = field(default_factory=list)
    error: BaseException | None = None

    def run(self) -> None:
        try:
            seller, buyer = Identity.generate(), Identity.generate()
            with (
                MarketClient(self.url, identity=seller) as selling,
                MarketClient(self.url, identity=buyer) as buying,
            ):
                _retried(lambda: selling.register("seller", roles=[Role.PROVIDER]))
                _retried(lambda: buying.register("buyer", roles=[Role.CONSUMER]))
                for pair in range(PAIRS):
                    self._trade(selling, buying, pair)
        except BaseException as error:  # reported by the test
            self.error = error

    def orders(self) -> list[str]:
        return [order for offer, request in self.trades for order in (offer, request.order.id)]

    def _trade(self, selling: MarketClient, buying: MarketClient, pair: int) -> None:
        now = int(time.time() * 1000)
        terms = OrderTerms(f"fault-{self.number}", 1, 5, now, now + _HOUR_MS)
        offer = _retried(lambda: selling.offer(terms, idempotency_key=f"offer-{pair}"))
        request = _retried(lambda: buying.request(terms, idempotency_key=f"request-{pair}"))
        self.trades.append((offer.order.id, request))
        self.done()


def _lease_holder(engine: Engine, schema: str) -> int:
    """The worker holding the marketplace's lease, by the process id in its session's name."""
    with engine.connect() as conn:
        [name] = conn.execute(_LEASE_HOLDER, {"schema": schema}).scalars().all()
    return int(str(name).removeprefix("plaza pid "))


def _wait(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _trade_under_a_kill(market: MarketWorkers, engine: Engine, schema: str) -> list[Trader]:
    """Traders at work; a third of the way through, the lease holder is SIGKILLed."""
    finished = Counter[str]()
    lock = threading.Lock()

    def done() -> None:
        with lock:
            finished["trades"] += 1

    traders = [Trader(market.url, number, done) for number in range(TRADERS)]
    threads = [threading.Thread(target=trader.run) for trader in traders]
    for thread in threads:
        thread.start()
    _wait(lambda: finished["trades"] >= TRADERS * PAIRS // 3, "the first trades")
    holder = _lease_holder(engine, schema)
    assert holder in market.workers
    os.kill(holder, signal.SIGKILL)
    for thread in threads:
        thread.join(120)
    assert [trader.error for trader in traders] == [None] * TRADERS
    replacement = market.next_worker()
    assert replacement != holder
    _wait(lambda: SqlTwinOutbox(engine).counts()["pending"] == 0, "the outbox to empty")
    assert _lease_holder(engine, schema) in market.workers - {holder}, "taken over"
    return traders


def _check_the_journal(dsn: str, schema: str, traders: list[Trader]) -> list[str]:
    """Every order a trader was told accepted, once, and no other; each request traded
    once, with its own offer; each contract settling. The contracts' ids."""
    accepted, matches = journal(dsn, schema)
    assert accepted == Counter(order for trader in traders for order in trader.orders())
    pairs = [(offer, request.order.id) for t in traders for offer, request in t.trades]
    assert Counter((m.offer_id, m.request_id) for m in matches) == Counter(pairs)
    contracts = [c.id for t in traders for _, request in t.trades for c in request.contracts]
    assert sorted(contracts) == sorted(match.id for match in matches)
    return contracts


def _audit(
    settings: MarketSettings, engine: Engine, orders: list[str], contracts: list[str]
) -> None:
    """The server's own audit, built without the marketplace (which would catch up on start)."""
    data, clock = MarketDataDir(settings.data_dir), SystemClock()
    closers: list[Callable[[], object]] = []
    identity = data.identity()
    try:
        ledger = open_ledger(
            settings,
            data,
            engine,
            participants=SqlParticipantStore(engine),
            identity=identity,
            clock=clock,
            closers=closers,
            lease=SoleLease(),
        )
        book = BidManager(SqlBookStore(engine), clock=clock)
        records = BookAndSettlements(book, SqlSettlementStore(engine))
        auditor = build_auditor(ledger, records, identity=identity, clock=clock)
        reports = [auditor.audit_order(order) for order in orders]
        reports += [auditor.audit_contract(contract) for contract in contracts]
    finally:
        for close in reversed(closers):
            close()
    unclean = [(r.record_id, r.differences, r.problems) for r in reports if not r.clean]
    assert unclean == []
    for report in reports:
        steps = [entry.step for entry in report.entries if entry.step is not None]
        assert steps == sorted(set(steps)), f"{report.record_id}: a state written twice"


def test_a_killed_lease_holder_loses_no_order_matches_none_twice_and_its_twins_complete(
    tmp_path: Path,
) -> None:
    with fresh_schema("plaza_workers") as (dsn, schema):
        node = NodeProcess(tmp_path / "node")
        node.start()
        engine = make_engine(dsn, schema=schema)
        market = MarketWorkers(tmp_path / "market", dsn, schema, node_url=node.url, workers=2)
        try:
            market.start()
            traders = _trade_under_a_kill(market, engine, schema)
            market.stop()
            contracts = _check_the_journal(dsn, schema, traders)
            settlements = SqlSettlementStore(engine)
            assert [c for c in contracts if settlements.get(c) is None] == []
            orders = [order for trader in traders for order in trader.orders()]
            _audit(market.settings, engine, orders, contracts)
        finally:
            market.stop()
            engine.dispose()
            node.stop()
