"""A vertical plugged into a real marketplace over HTTP: the worked parking vertical.

The marketplace is built the production way (:func:`plaza.bootstrap.build_market`)
against a real node, with the parking vertical registered for the module: its
route answers under ``/api/v1/market/parking``, its rules refuse a bad order
before the book, its price is the signed total the consumer pays from its wallet
(``plaza market pay``), and its hooks hear the contract made, delivered and
settled. Its command shows in ``plaza --help``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from market_server import HOUR_MS, RunningMarket, serve_market
from node_server import RunningNode
from parking import ParkingKind, parking
from typer.testing import CliRunner

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bootstrap import SystemClock
from plaza.cli._market_home import MarketHome
from plaza.cli.main import build_app
from plaza.clients.market import ContractRecord, MarketClient, OrderTerms
from plaza.clients.node import InvalidRequestError
from plaza.crypto import Identity
from plaza.market.auth import Role
from plaza.market.model import attributes
from plaza.market.settlement import Phase
from plaza.verticals import registry
from plaza.wallet import KdfParams, Wallet

PASSWORD = "a long test passphrase"
SETTLE_TIMEOUT_S = 20.0


@dataclass
class Lot:
    node: RunningNode
    market: RunningMarket
    kind: ParkingKind  # the registered kind: its hooks record what the market called
    provider: MarketClient
    consumer: MarketClient  # signs as the wallet's main address
    home: Path
    wallet_path: Path


@pytest.fixture(scope="module")
def lot(node: RunningNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lot]:
    folder = tmp_path_factory.mktemp("parking")
    kind = ParkingKind()
    with ExitStack() as stack:
        stack.enter_context(registry.registered(parking(kind)))
        served = serve_market(folder / "market", node_url=node.url, policy="cda")
        market = stack.enter_context(served)  # cda: parking matches by its own policy
        client = stack.enter_context(node.client())
        wallet_path, home = folder / "driver-wallet.json", folder / "driver"
        gateway = RemoteLedger(client, clock=SystemClock())
        wallet, _phrase = Wallet.create(
            wallet_path, PASSWORD, gateway=gateway, clock=SystemClock(), kdf=KdfParams.MINIMUM
        )
        wallet.request_faucet(wait=True)
        register = ["register", "--name", "driver", "--role", "consumer"]
        cli(market, home, *register, "--wallet", str(wallet_path))
        provider = stack.enter_context(market.client(Identity.generate()))
        provider.register("car park", roles=[Role.PROVIDER])
        consumer = stack.enter_context(market.client(MarketHome(home).identity()))
        yield Lot(node, market, kind, provider, consumer, home, wallet_path)


def cli(market: RunningMarket, home: Path, *args: str) -> str:
    where = ["--url", market.url, "--home", str(home)]
    result = CliRunner().invoke(
        build_app(), ["market", *args, *where], env={"PLAZA_WALLET_PASSWORD": PASSWORD}
    )
    assert result.exit_code == 0, result.output
    return result.output


def terms(hours: int, price: int, **attrs: str) -> OrderTerms:
    now = SystemClock().now_ms()
    return OrderTerms("parking", hours, price, now, now + HOUR_MS, attributes=attributes(attrs))


def _wait_for(lot: Lot, contract_id: str, phase: Phase) -> ContractRecord:
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        record = lot.consumer.contract(contract_id)
        assert record.settlement is not None
        if record.settlement.phase is phase or time.monotonic() > deadline:
            assert record.settlement.phase is phase
            return record
        time.sleep(0.1)


def _wait_for_hook(lot: Lot, call: tuple[str, str]) -> None:
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while call not in lot.kind.calls and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_verticals_route_answers_under_its_name(lot: Lot) -> None:
    reply = httpx.get(f"{lot.market.url}/api/v1/market/parking/sizes")
    assert reply.status_code == 200
    assert reply.json() == {"sizes": ["compact", "standard", "van"], "paid_hours_a_day": 10}


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (terms(5, 10), "invalid order: parking: an offer must say its spot's size"),
        (terms(5, 10, size="huge"), "invalid order: parking: size must be one of compact, "),
        (terms(200, 10, size="van"), "invalid order: parking: quantity is hours, at most 168"),
    ],
)
def test_an_order_breaking_the_kinds_rules_is_refused_and_changes_nothing(
    lot: Lot, order: OrderTerms, message: str
) -> None:
    before = lot.provider.orders(kind="parking")
    with pytest.raises(InvalidRequestError) as refused:
        lot.provider.offer(order)
    assert (refused.value.status, refused.value.code) == (400, "invalid_order")
    assert refused.value.message.startswith(message)
    assert lot.provider.orders(kind="parking") == before


def test_a_parking_contract_is_priced_and_settled_by_its_vertical(lot: Lot) -> None:
    lot.provider.offer(terms(26, 10, size="van"))
    [record] = lot.consumer.request(terms(26, 10)).contracts
    match = record.signed.match
    assert (match.quantity, match.unit_price, match.policy) == (26, 10, "one_to_one")
    assert record.signed.total == 120  # a day pass (10 paid hours) and 2 hours, not 260
    record.signed.check_signature()
    assert lot.consumer.info().policy == "cda"  # the market's own, for other kinds
    assert lot.kind.calls == [("contract_made", match.id)]

    lot.consumer.report_delivery(match.id)
    lot.provider.request_payment(match.id)
    assert lot.kind.calls[-1] == ("delivered", match.id)
    wallet = ["--wallet", str(lot.wallet_path), "--node", lot.node.url]
    paid = cli(lot.market, lot.home, "pay", match.id, *wallet)
    assert f"paid 120 to {match.provider}" in paid
    settled = _wait_for(lot, match.id, Phase.FULFILLED)
    assert settled.settlement is not None
    assert settled.settlement.payment_amount == 120
    _wait_for_hook(lot, ("settled", match.id))  # hooks run just after the step is saved
    assert lot.kind.calls == [
        ("contract_made", match.id),
        ("delivered", match.id),
        ("settled", match.id),
    ]


def test_the_verticals_command_shows_in_plaza_help(lot: Lot) -> None:
    shown = CliRunner().invoke(build_app(), ["--help"])
    assert shown.exit_code == 0, shown.output
    assert "Rent parking spots by the hour." in shown.output
