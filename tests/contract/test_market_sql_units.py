"""A state change and the twin states it causes commit together, on SQLite and PostgreSQL:
a journal step with its order twins' states, a settlement state or an asset state with its
twin's; when the twin states cannot be staged, the change is not made either."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from market_sql_backends import SQL_BACKENDS, fresh_engine
from sqlalchemy import Engine, text

from plaza.channels import MemoryCursorStore
from plaza.crypto import EncryptionKey, Identity, SigningKey
from plaza.market.book.service import BidManager
from plaza.market.contracts import ContractDesk
from plaza.market.errors import StoreFailed
from plaza.market.model import NewAsset, NewOrder, Side
from plaza.market.settlement import SettlementService
from plaza.market.sql import (
    SqlAssetDirectory,
    SqlBookStore,
    SqlSettlementStore,
    SqlTwinDirectory,
    SqlTwinOutbox,
    reading,
)
from plaza.market.sql.engine import SqlUnitOfWork, writing
from plaza.market.twins.channels import TwinChannels
from plaza.market.twins.publisher import OutboxPublisher
from plaza.market.twins.staging import StagedTwins
from plaza.testing.nodes import InProcessNode, in_process_node
from plaza.testing.payments import FakePayments

HOUR_MS = 3_600_000
MARKETPLACE = Identity(SigningKey(b"\x05" * 32), EncryptionKey(b"\x06" * 32))


@dataclass
class Market:
    engine: Engine
    node: InProcessNode
    twins: StagedTwins

    def book(self) -> BidManager:
        return BidManager(
            SqlBookStore(self.engine),
            clock=self.node.clock,
            twins=self.twins,
            unit=SqlUnitOfWork(self.engine),
        )

    def book_with_assets(self) -> BidManager:
        return BidManager(
            SqlBookStore(self.engine),
            clock=self.node.clock,
            assets=SqlAssetDirectory(self.engine),
            asset_twins=self.twins,
            unit=SqlUnitOfWork(self.engine),
        )

    def settlement(self) -> SettlementService:
        return SettlementService(
            SqlSettlementStore(self.engine),
            FakePayments({}, {}),
            self.node.clock,
            staging=self.twins,
            unit=SqlUnitOfWork(self.engine),
        )

    def count(self, table: str) -> int:
        with reading(self.engine) as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    def break_the_outbox(self) -> None:
        with writing(self.engine) as conn:
            conn.execute(text("DROP TABLE twin_outbox"))


@pytest.fixture(params=SQL_BACKENDS)
def market(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Market]:
    with fresh_engine(request.param, request, tmp_path) as engine, in_process_node() as node:
        directory, outbox = SqlTwinDirectory(engine), SqlTwinOutbox(engine)
        channels = TwinChannels(
            identity=MARKETPLACE,
            gateway=node.gateway,
            cursors=MemoryCursorStore(),
            directory=directory,
            clock=node.clock,
        )
        publisher = OutboxPublisher(channels, outbox)
        twins = StagedTwins(outbox=outbox, channels=channels, publisher=publisher, clock=node.clock)
        yield Market(engine, node, twins)


def offer(market: Market) -> NewOrder:
    now = market.node.clock.now_ms()
    return NewOrder(Side.OFFER, "plz1solar", "energy", 10, 5, now, now + HOUR_MS)


def test_a_journal_step_commits_with_its_order_twin_states(market: Market) -> None:
    market.book().submit_order(offer(market))
    assert market.count("market_journal") == 1
    assert market.count("twin_outbox") == 1
    assert market.twins.recorded_through() == 1


def test_a_step_whose_twin_states_cannot_be_staged_is_not_taken(market: Market) -> None:
    book = market.book()
    market.break_the_outbox()
    with pytest.raises(StoreFailed):
        book.submit_order(offer(market))
    assert market.count("market_journal") == 0
    assert book.orders() == []
    assert market.twins.recorded_through() == 0


def test_a_settlement_state_commits_with_its_twin_state_or_not_at_all(market: Market) -> None:
    book, settlement = market.book(), market.settlement()
    book.submit_order(offer(market))
    now = market.node.clock.now_ms()
    request = NewOrder(Side.REQUEST, "plz1ev", "energy", 10, 5, now, now + HOUR_MS)
    [match] = book.submit_order(request).matches
    ContractDesk(MARKETPLACE.signing, settlement, twins=market.twins).open([match])
    opened = settlement.get(match.id)
    assert market.twins.statistics()["queued"] == 3 + 3 + 1  # orders, contract, "open"
    market.break_the_outbox()
    with pytest.raises(StoreFailed):
        settlement.report_delivery(match.id, "plz1solar")
    assert settlement.get(match.id) == opened


def test_an_asset_state_commits_with_its_twin_state_or_not_at_all(market: Market) -> None:
    book = market.book_with_assets()
    asset = book.register_asset(NewAsset("plz1solar", "energy", "roof")).asset
    assert market.count("twin_outbox") == 1
    market.break_the_outbox()
    with pytest.raises(StoreFailed):
        book.disable_asset(asset.id, participant="plz1solar")
    assert book.asset(asset.id) == asset
    with pytest.raises(StoreFailed):
        book.register_asset(NewAsset("plz1solar", "energy", "another roof"))
    assert market.count("assets") == 1
