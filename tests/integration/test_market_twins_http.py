"""``plaza market run``'s wiring on a real node: twins recorded, audited over HTTP.

A node served over HTTP (real proof of work, milestones issued by hand so the
test decides when things confirm) and a marketplace built by
:func:`plaza.bootstrap.build_market` with that node's URL: no hand wiring. A trade
over HTTP lands on twins; the auditor's audit over HTTP finds every entry
signed and, after a milestone, confirmed, and no difference from the database;
auditing changes nothing. Then the database is tampered with, and the audit says
where. An independent auditor gets the twins' keys sealed to its inbox and
reaches the same verdict from its own reading of the ledger. A node that is
down when the marketplace starts costs trading nothing: twins follow once it is up.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from market_server import MarketWorld, RunningMarket, market_world, serve_market
from node_helpers import DIFFICULTY
from sqlalchemy import Engine, text

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.api import create_app
from plaza.api.serving import ThreadedServer
from plaza.bootstrap import MarketDataDir, SystemClock, build_node
from plaza.clients.errors import NodeBusyError
from plaza.clients.market import AssetTerms
from plaza.clients.node import ApiError, NodeClient
from plaza.crypto import Identity
from plaza.market.assets.model import AssetChange
from plaza.market.audit.channels import ChannelTrails, InboxTwinKeys
from plaza.market.audit.service import Auditor, AuditReport, Difference
from plaza.market.book.views import OrderQuery
from plaza.market.model import Asset, Order
from plaza.market.settlement import Settlement
from plaza.market.sql import SqlSettlementStore, make_engine
from plaza.market.twins.documents import TwinKind
from plaza.node import NodeRuntime
from plaza.settings import NodeSettings

TIMEOUT_S = 20.0
#: Named in the marketplace's ``auditor_keys``: every new twin's key is sealed to it.
STANDING_AUDITOR = Identity.generate()


@dataclass
class ManualNode:
    """A served node whose milestones the test issues."""

    url: str
    runtime: NodeRuntime

    def milestone(self) -> None:
        assert self.runtime.coordinator is not None
        self.runtime.coordinator.issue_milestone()

    def message_count(self) -> int:
        return self.runtime.store.message_count()


@contextmanager
def manual_node(data_dir: Path, *, port: int = 0) -> Iterator[ManualNode]:
    settings = NodeSettings(
        data_dir=data_dir, store="sqlite", pow_difficulty=DIFFICULTY, milestone_interval_s=3600
    )
    runtime = build_node(settings)
    try:
        with ThreadedServer(create_app(runtime), port=port) as server:
            yield ManualNode(server.url, runtime)
    finally:
        runtime.close()


def eventually(check: Callable[[], bool], *, timeout_s: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "not there in time"
        time.sleep(0.1)


@dataclass
class Trade:
    offer_id: str
    request_id: str
    contract_id: str


def written(world: MarketWorld) -> None:
    """Wait for the outbox publisher: requests answer once their twin states are staged."""
    twins = world.market.runtime.services.twins
    assert twins is not None
    eventually(lambda: twins.statistics()["queued"] == 0)


def trade(world: MarketWorld, *, wait: bool = True) -> Trade:
    """An offer, a request crossing it, delivery and the payment request, all over HTTP."""
    kind = world.fresh_kind()
    offer = world.provider.offer(world.terms(kind, 50, 9))
    request = world.consumer.request(world.terms(kind, 20, 10))
    [contract] = request.contracts
    world.consumer.report_delivery(contract.id)
    world.provider.request_payment(contract.id)
    if wait:
        written(world)
    return Trade(offer.order.id, request.order.id, contract.id)


def confirmed_audit(node: ManualNode, audit: Callable[[], AuditReport]) -> AuditReport:
    """Issue milestones until every entry of the audited twin is confirmed."""
    reports: list[AuditReport] = []

    def confirmed() -> bool:
        node.milestone()
        reports[:] = [audit()]
        return reports[0].confirmed

    eventually(confirmed)
    return reports[0]


def assert_verified(report: AuditReport) -> None:
    assert report.clean, (report.differences, report.problems)
    assert report.entries
    assert all(entry.signature_verified for entry in report.entries)
    assert all(entry.confirmation.milestone_index for entry in report.entries)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManualNode]:
    with manual_node(tmp_path_factory.mktemp("node")) as running:
        yield running


@pytest.fixture(scope="module")
def market(node: ManualNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMarket]:
    standing = STANDING_AUDITOR.encryption.public_key.raw.hex()
    with serve_market(
        tmp_path_factory.mktemp("market"), node_url=node.url, auditor_keys=(standing,)
    ) as running:
        yield running


@pytest.fixture(scope="module")
def world(market: RunningMarket) -> Iterator[MarketWorld]:
    cast = market_world(market)
    try:
        yield cast
    finally:
        cast.close()


@pytest.fixture(scope="module")
def engine(market: RunningMarket) -> Iterator[Engine]:
    """The marketplace database, opened as a second engine on the same file."""
    database = make_engine(MarketDataDir(market.data_dir).database_url)
    try:
        yield database
    finally:
        database.dispose()


def test_a_trade_over_http_is_on_its_twins_and_audits_clean(
    node: ManualNode, market: RunningMarket, world: MarketWorld
) -> None:
    done = trade(world)
    twins = market.runtime.services.twins
    assert twins is not None
    assert twins.statistics()["queued"] == 0
    report = confirmed_audit(node, lambda: world.auditor.audit_contract(done.contract_id))
    assert_verified(report)
    assert report.contract_signature_valid
    assert report.contract_matches_database
    assert report.payment is None  # requested, not paid
    assert [(entry.step, entry.event) for entry in report.entries] == [
        (1, "signed"),
        (2, "open"),
        (3, "deliver"),
        (4, "request payment"),
    ]
    parties = {world.provider.me().id, world.consumer.me().id}
    assert dict(report.on_party_twins) == dict.fromkeys(parties, True)
    for order_id in (done.offer_id, done.request_id):
        assert_verified(confirmed_audit(node, partial(world.auditor.audit_order, order_id)))
    mode = os.stat(market.data_dir / "twin-cursors.sqlite3").st_mode
    assert stat.S_IMODE(mode) == 0o600  # it holds the channels' secrets


def _snapshot(market: RunningMarket, node: ManualNode, engine: Engine) -> dict[str, Any]:
    """Everything an audit could conceivably change: database, journal, cursors, ledger."""
    with engine.connect() as conn:
        rows = {
            table: conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()
            for table in (
                "settlements",
                "twins",
                "twin_progress",
                "assets",
                "asset_states",
                "market_journal",
            )
        }
    files = {}
    with sqlite3.connect(market.data_dir / "twin-cursors.sqlite3") as db:
        query = "SELECT channel_id, version FROM channel_cursors ORDER BY 1"
        files["twin-cursors.sqlite3"] = db.execute(query).fetchall()
    twins = market.runtime.services.twins
    assert twins is not None
    return {
        "rows": rows,
        "files": files,
        "messages": node.message_count(),
        "twins": twins.statistics(),
    }


def test_an_audit_over_http_changes_nothing(
    node: ManualNode, market: RunningMarket, world: MarketWorld, engine: Engine
) -> None:
    done = trade(world)
    asset_id = world.provider.register_asset(AssetTerms(world.fresh_kind(), "meter")).asset.id
    written(world)
    node.milestone()
    before = _snapshot(market, node, engine)
    world.auditor.audit_contract(done.contract_id)
    world.auditor.audit_order(done.offer_id)
    world.auditor.audit_asset(asset_id)
    assert _snapshot(market, node, engine) == before


def test_a_tampered_database_shows_in_the_audit_over_http(
    node: ManualNode, world: MarketWorld, engine: Engine
) -> None:
    done = trade(world)
    assert_verified(confirmed_audit(node, lambda: world.auditor.audit_contract(done.contract_id)))
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE settlements SET reminders = 2, unit_price = 8 WHERE contract_id = :id"),
            {"id": done.contract_id},
        )
    report = world.auditor.audit_contract(done.contract_id)
    assert not report.clean
    assert report.signatures_verified  # the ledger side is intact: the database is not
    assert report.contract_matches_database is False
    assert set(report.differences) >= {
        Difference("contract.unit_price", 8, 9),
        Difference("settlement.unit_price", 8, 9),
        Difference("settlement.reminders", 2, 0),
    }


class _SettlementsAndPublicOrders:
    """An independent auditor's view of the database: read-only SQL access to settlements,
    and orders as the marketplace publishes them (orders are public)."""

    def __init__(self, world: MarketWorld, engine: Engine) -> None:
        self._world = world
        self._settlements = SqlSettlementStore(engine)

    def order(self, order_id: str) -> Order | None:
        return self._world.anonymous.order(order_id)

    def settlement(self, contract_id: str) -> Settlement | None:
        return self._settlements.get(contract_id)

    def asset(self, asset_id: str) -> Asset | None:
        return self._world.anonymous.asset(asset_id)


def _audit_on_my_own(
    node: ManualNode, world: MarketWorld, engine: Engine, me: Identity, done: Trade
) -> AuditReport:
    """An auditor's own audit: its node connection, the keys in its inbox, its database view."""
    marketplace_key = world.market.runtime.services.identity.public_key.raw
    clock = SystemClock()
    with NodeClient(node.url, timeout=30.0) as client:
        gateway = RemoteLedger(client, clock=clock)
        keys = InboxTwinKeys(gateway, me.encryption, marketplace_key)
        auditor = Auditor(
            ChannelTrails(gateway, keys),
            RemoteLedger(client, clock=clock),
            _SettlementsAndPublicOrders(world, engine),
            marketplace_key=marketplace_key,
        )
        report = confirmed_audit(node, lambda: auditor.audit_contract(done.contract_id))
        assert_verified(report)
        assert_verified(auditor.audit_order(done.offer_id))
    return report


def test_an_independent_auditor_audits_with_keys_sealed_to_its_inbox(
    node: ManualNode, world: MarketWorld, engine: Engine
) -> None:
    done = trade(world)
    sent = world.auditor.request_audit_keys(orders=[done.offer_id], contracts=[done.contract_id])
    assert {(key.kind, key.sent) for key in sent} == {
        (TwinKind.ORDER, True),
        (TwinKind.CONTRACT, True),
        (TwinKind.PARTICIPANT, True),
    }
    assert len(sent) == 4  # the order, the contract, both parties
    assert world.auditor.identity is not None
    mine = _audit_on_my_own(node, world, engine, world.auditor.identity, done)
    theirs = world.auditor.audit_contract(done.contract_id)
    assert [(e.position, e.message_id) for e in mine.entries] == [
        (e.position, e.message_id) for e in theirs.entries
    ]


def test_a_configured_auditor_holds_every_twins_key_unasked(
    node: ManualNode, world: MarketWorld, engine: Engine
) -> None:
    done = trade(world)
    _audit_on_my_own(node, world, engine, STANDING_AUDITOR, done)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_node_down_at_startup_delays_twins_not_trading(tmp_path: Path) -> None:
    port = _free_port()
    with serve_market(tmp_path / "market", node_url=f"http://127.0.0.1:{port}") as market:
        world = market_world(market)
        try:
            done = trade(world, wait=False)  # the node is down: trading goes on
            twins = market.runtime.services.twins
            assert twins is not None
            assert twins.statistics()["queued"] >= 1  # the contract waits for the node
            with manual_node(tmp_path / "node", port=port) as node:
                written(world)  # the publisher retries until the node answers
                assert_verified(
                    confirmed_audit(node, lambda: world.auditor.audit_contract(done.contract_id))
                )
                assert_verified(
                    confirmed_audit(node, lambda: world.auditor.audit_order(done.offer_id))
                )
        finally:
            world.close()


def test_twins_behind_their_limit_hold_new_orders_back_not_contracts_made(tmp_path: Path) -> None:
    port = _free_port()
    node_url = f"http://127.0.0.1:{port}"
    with serve_market(tmp_path / "market", node_url=node_url, twin_lag_limit_s=1) as market:
        world = market_world(market)
        try:
            done = trade(world, wait=False)  # staged; the node is down: nothing written
            time.sleep(1.5)
            marketplace = market.runtime.services.marketplace
            kind = world.fresh_kind()
            with pytest.raises(NodeBusyError) as refused:
                world.provider.offer(world.terms(kind, 5, 9))
            assert refused.value.status == 503
            assert refused.value.code == "twins_behind"
            assert refused.value.retry_after is not None
            assert refused.value.retry_after >= 1
            assert marketplace.search(OrderQuery(kind=kind)) == [], "refused: nothing changed"
            world.provider.cancel(done.offer_id)  # a step of work already made goes on
            with manual_node(tmp_path / "node", port=port):
                written(world)  # the publisher catches up: new work is welcome again
                time.sleep(0.3)  # past the backlog's refresh
                assert world.provider.offer(world.terms(kind, 5, 9)).order.quantity == 5
                written(world)
        finally:
            world.close()


def test_a_record_neither_the_ledger_nor_the_database_has_is_a_404(world: MarketWorld) -> None:
    audits: list[Callable[[], AuditReport]] = [
        partial(world.auditor.audit_contract, "mat-404404"),
        partial(world.auditor.audit_order, "ord-404404"),
        partial(world.auditor.audit_asset, "ast-404404"),
    ]
    for audit in audits:
        with pytest.raises(ApiError) as missing:
            audit()
        assert missing.value.status == 404


def _asset_lifecycle(world: MarketWorld) -> str:
    """An asset registered, described anew, disabled and enabled again, over HTTP."""
    asset_id = world.provider.register_asset(AssetTerms(world.fresh_kind(), "roof")).asset.id
    world.provider.update_asset(asset_id, AssetChange("south roof"))
    world.provider.disable_asset(asset_id)
    world.provider.enable_asset(asset_id)
    written(world)
    return asset_id


def test_every_asset_state_is_on_its_twin_and_audits_clean_over_http(
    node: ManualNode, world: MarketWorld, engine: Engine
) -> None:
    asset_id = _asset_lifecycle(world)
    report = confirmed_audit(node, lambda: world.auditor.audit_asset(asset_id))
    assert_verified(report)
    assert [(entry.step, entry.event, entry.type) for entry in report.entries] == [
        (1, "registered", "asset"),
        (2, "updated", "asset"),
        (3, "disabled", "asset"),
        (4, "enabled", "asset"),
    ]
    with engine.begin() as conn:  # the database says something the twin never recorded
        state = conn.execute(text("SELECT state FROM assets WHERE id = :id"), {"id": asset_id})
        tampered = state.scalar_one().replace('"south roof"', '"north roof"')
        conn.execute(
            text("UPDATE assets SET state = :state WHERE id = :id"),
            {"state": tampered, "id": asset_id},
        )
    report = world.auditor.audit_asset(asset_id)
    assert not report.clean
    assert report.signatures_verified
    assert Difference("name", "north roof", "south roof") in report.differences


def test_an_independent_auditor_gets_asset_twin_keys(node: ManualNode, world: MarketWorld) -> None:
    asset_id = _asset_lifecycle(world)
    sent = world.auditor.request_audit_keys(assets=[asset_id, "ast-404404"])
    assert [(key.kind, key.record_id, key.sent) for key in sent] == [
        (TwinKind.ASSET, asset_id, True),
        (TwinKind.ASSET, "ast-404404", False),
    ]
