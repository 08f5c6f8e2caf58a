"""The marketplace's ledger wiring, without a node: the fan-out listener, twins off, and the
ledger's errors in the API's table (``tests/integration/test_market_twins_http.py`` runs it
against a node)."""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from plaza.api.market.errors import market_code_for, market_status_for
from plaza.bootstrap import MarketDataDir
from plaza.bootstrap.market_ledger import FanOutListener, build_auditor, open_ledger
from plaza.channels import LedgerUnavailable, MessageRefused
from plaza.crypto import Identity
from plaza.market.audit.service import MarketRecords
from plaza.market.auth import MemoryParticipantStore
from plaza.market.leases import SoleLease
from plaza.market.model import Order
from plaza.market.settlement import Contract, Phase, Settlement
from plaza.market.sql import make_engine
from plaza.settings import MarketSettings
from plaza.testing import FakeClock
from plaza.wallet import NodeUnreachable

SETTLEMENT = Settlement(
    Contract("mat-1", "plz1solar", "plz1ev", 4, 5, 200), Phase.CONTRACT_CREATED, 200, 9_000
)


class _Heard:
    def __init__(self) -> None:
        self.steps: list[str] = []

    def changed(self, before: Settlement, after: Settlement, step: str) -> None:
        self.steps.append(step)


class _Broken:
    def changed(self, before: Settlement, after: Settlement, step: str) -> None:
        raise RuntimeError("a listener bug")


class _Records:
    """The database of a marketplace holding one settlement and no order."""

    def order(self, order_id: str) -> Order | None:
        return None

    def settlement(self, contract_id: str) -> Settlement | None:
        return SETTLEMENT if contract_id == SETTLEMENT.id else None


def test_a_failing_listener_does_not_keep_the_change_from_the_next(
    caplog: pytest.LogCaptureFixture,
) -> None:
    heard = _Heard()
    with caplog.at_level(logging.ERROR):
        FanOutListener(_Broken(), heard).changed(SETTLEMENT, SETTLEMENT, "open")
    assert heard.steps == ["open"]
    assert "a settlement listener failed on mat-1 (open)" in caplog.text


def test_without_a_node_nothing_is_recorded_and_an_audit_says_why(tmp_path: Path) -> None:
    data = MarketDataDir(tmp_path)
    engine = make_engine(data.database_url)
    closers: list[Callable[[], object]] = []
    try:
        ledger = open_ledger(
            MarketSettings(data_dir=tmp_path, node_url=""),
            data,
            engine,
            participants=MemoryParticipantStore(),
            identity=Identity.generate(),
            clock=FakeClock(),
            closers=closers,
            lease=SoleLease(),
        )
    finally:
        engine.dispose()
    assert (ledger.node, ledger.twins, closers) == (None, None, [])
    records: MarketRecords = _Records()
    report = build_auditor(ledger, records, identity=Identity.generate(), clock=FakeClock())
    audit = report.audit_contract("mat-1")
    assert not audit.clean
    assert audit.channel_id is None
    assert "this marketplace records no twins: no ledger node is configured" in audit.problems
    assert not (tmp_path / "twin-cursors.sqlite3").exists()  # made only when twins are on


def test_the_twin_cursor_file_is_made_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = MarketDataDir(tmp_path).twin_cursors
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


UNREACHABLE = [
    LedgerUnavailable("connection refused"),
    MessageRefused("invalid", "no"),
    NodeUnreachable("http://node", "connection failed"),
]


@pytest.mark.parametrize("error", UNREACHABLE)
def test_a_ledger_the_audit_or_twins_cannot_reach_is_a_503(error: Exception) -> None:
    assert (market_status_for(error), market_code_for(error)) == (503, "ledger_unavailable")
