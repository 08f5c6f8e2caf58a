"""The outbox publisher killed mid-batch, at every message it sends (one twin state each, or
a carrier of many): after the node accepted it and before the outbox marked anything. After
a restart every twin is complete, no state is on the ledger twice, and the market's audit
finds every record clean; with the stores in memory and as ``plaza market run`` keeps them
(SQLite database, cursor file)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from twins_support import (
    EV,
    HOUR_MS,
    MARKETPLACE,
    SOLAR,
    Ledger,
    OutboxStores,
    in_process_ledger,
    pid,
    staged_twins,
)

from plaza.adapters.ledger.local import LocalLedger
from plaza.channels import Reader
from plaza.channels.cursors import SqliteCursorStore
from plaza.market.audit.channels import ChannelTrails
from plaza.market.audit.service import Auditor, BookAndSettlements
from plaza.market.book.memory import MemoryBookStore
from plaza.market.book.service import BidManager
from plaza.market.contracts import ContractDesk
from plaza.market.model import NewOrder, Side
from plaza.market.settlement import MemorySettlementStore, SettlementService
from plaza.market.sql import (
    SqlTwinDirectory,
    SqlTwinOutbox,
    make_engine,
    sqlite_url,
    upgrade_schema,
)
from plaza.market.twins.documents import TwinKind, decode_document
from plaza.market.twins.staging import StagedTwins
from plaza.testing.ledgers import LedgerProxy
from plaza.testing.payments import FakePayments


class Killed(BaseException):
    """The process dying: nothing catches it, nothing after it runs."""


class KillingGateway(LedgerProxy):
    """Lets the node accept the ``kill_at``-th submitted message, then kills the caller; or,
    ``before``, kills it as it is about to send that message (what is queued is lost)."""

    def __init__(self, inner: LocalLedger, kill_at: int, *, before: bool = False) -> None:
        super().__init__(inner)
        self.kill_at = kill_at
        self.before = before
        self.submits = 0

    def submit(self, raw: bytes) -> bytes:
        if self.before and self.submits + 1 == self.kill_at:
            raise Killed(f"before submit {self.kill_at}")
        message_id = self.inner.submit(raw)
        self.submits += 1
        if self.submits == self.kill_at:
            raise Killed(f"after submit {self.submits}")
        return message_id


def trade(ledger: Ledger, twins: StagedTwins) -> tuple[BidManager, MemorySettlementStore, str]:
    """Two offers, a request matching both, both contracts delivered: all staged, none sent."""
    book = BidManager(MemoryBookStore(), clock=ledger.clock, policy="one_to_one", twins=twins)
    store = MemorySettlementStore()
    settlement = SettlementService(store, FakePayments({}, {}), ledger.clock, listener=twins)
    desk = ContractDesk(MARKETPLACE.signing, settlement, twins=twins)
    now = ledger.clock.now_ms()
    for price in (8, 9):
        book.submit_order(NewOrder(Side.OFFER, pid(SOLAR), "energy", 10, price, now, now + HOUR_MS))
    request = NewOrder(Side.REQUEST, pid(EV), "energy", 10, 10, now, now + HOUR_MS)
    [match] = book.submit_order(request).matches
    desk.open([match])
    settlement.report_delivery(match.id, pid(SOLAR))
    return book, store, match.id


def written_states(ledger: Ledger, twins: StagedTwins, twin: tuple[TwinKind, str]) -> list[str]:
    key = twins.reader_key(*twin)
    assert key is not None
    found = []
    for entry in Reader(ledger.gateway, key).read():
        document = decode_document(entry.content)
        found.append(f"{document.type.value} {document.record} {document.step}")
    return found


def sends_of_a_clean_run(*, carriers: bool) -> int:
    with in_process_ledger() as ledger:
        counting = KillingGateway(ledger.gateway, kill_at=0)
        twins = staged_twins(
            ledger, OutboxStores(), gateway=counting, batch_size=4, carriers=carriers
        )
        trade(ledger, twins)
        twins.publisher.drain()
        return counting.submits


#: Every send of a clean run, one message each and with carriers (many messages a send), and
#: with carriers also just before each send: whatever waited in the carriers' queue is lost.
KILLS = [
    pytest.param(carriers, kill_at, before, id=f"{mode}-{kill_at}")
    for carriers, before, mode in (
        (False, False, "single"),
        (True, False, "carriers"),
        (True, True, "carriers-before"),
    )
    for kill_at in range(1, sends_of_a_clean_run(carriers=carriers) + 1)
]


@pytest.fixture(params=["memory", "sqlite"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OutboxStores]:
    """The publisher's stores: in memory, or as ``plaza market run`` keeps them (the market's
    SQLite database for directory and outbox, the cursors in a SQLite file of their own)."""
    if request.param == "memory":
        yield OutboxStores()
        return
    engine = make_engine(sqlite_url(tmp_path / "market.sqlite3"))
    upgrade_schema(engine)
    cursors = SqliteCursorStore(tmp_path / "twin-cursors.sqlite3")
    try:
        yield OutboxStores(SqlTwinDirectory(engine), cursors, SqlTwinOutbox(engine))
    finally:
        cursors.close()
        engine.dispose()


@pytest.mark.parametrize(("carriers", "kill_at", "before"), KILLS)
def test_a_publisher_killed_at_any_send_completes_every_twin_once(
    carriers: bool, kill_at: int, before: bool, stores: OutboxStores
) -> None:
    with in_process_ledger() as ledger:
        killing = KillingGateway(ledger.gateway, kill_at, before=before)
        twins = staged_twins(ledger, stores, gateway=killing, batch_size=4, carriers=carriers)
        book, settlements, contract_id = trade(ledger, twins)
        with pytest.raises(Killed):
            twins.publisher.drain()
        # a new process, same stores
        restarted = staged_twins(ledger, stores, batch_size=4, carriers=carriers)
        restarted.publisher.drain()
        assert restarted.statistics()["queued"] == 0
        ledger.milestone()
        orders = [order.id for order in book.orders()]
        twins_written = [(TwinKind.ORDER, order) for order in orders] + [
            (TwinKind.CONTRACT, contract_id),
            (TwinKind.PARTICIPANT, pid(SOLAR)),
            (TwinKind.PARTICIPANT, pid(EV)),
        ]
        for twin in twins_written:
            states = written_states(ledger, restarted, twin)
            assert states, twin
            assert Counter(states).most_common(1)[0][1] == 1, (twin, states)
        assert len(written_states(ledger, restarted, twins_written[-1])) == 1  # the one contract
        assert written_states(ledger, restarted, twins_written[-3])[-1].endswith(" 3")
        auditor = Auditor(
            ChannelTrails(ledger.gateway, restarted),
            LocalLedger(ledger.runtime),
            BookAndSettlements(book, settlements),
            marketplace_key=MARKETPLACE.public_key.raw,
        )
        for report in [*auditor.audit_orders(orders), auditor.audit_contract(contract_id)]:
            assert report.clean, report.problems
            assert report.confirmed
