"""Settlement over the interfaces, end to end: the consumer pays on the ledger itself.

A real node (proof of work, milestones every 0.2 s, a faucet) and a marketplace
served against it. The consumer's market identity is its wallet's main address
(``plaza market register --wallet``), funded from the node's faucet; it pays with
``plaza market pay`` (a wallet transfer, then the report), and the marketplace's
periodic round confirms the payment on the ledger and fulfils the contract. Wrong
payments are refused with their own codes and change nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from market_server import HOUR_MS, RunningMarket, serve_market
from node_server import RunningNode
from typer.testing import CliRunner

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bootstrap import SystemClock
from plaza.cli._market_home import MarketHome
from plaza.cli.main import app
from plaza.clients.market import ContractRecord, MarketClient, OrderTerms
from plaza.clients.node import ForbiddenError, PaymentRejectedError
from plaza.crypto import Address, Identity
from plaza.ledger.model import Output, TransferPayload
from plaza.market.auth import Role
from plaza.market.payments.service import PAYMENT_TAG, payment_data
from plaza.market.settlement import Phase
from plaza.wallet import KdfParams, Wallet

PASSWORD = "a long test passphrase"
FULFIL_TIMEOUT_S = 20.0


@dataclass
class Cast:
    node: RunningNode
    market: RunningMarket
    provider: MarketClient
    consumer: MarketClient  # signs with the home's identity: the wallet's main address
    home: Path
    wallet_path: Path
    wallet: Wallet
    wallet_gateway: RemoteLedger
    kinds: Iterator[int]

    @property
    def payer(self) -> Address:
        return self.wallet.addresses()[0].address

    def contract(self, quantity: int = 20) -> ContractRecord:
        """A fresh contract, delivered, its payment requested; total ``quantity`` * 9."""
        kind = f"energy-pay-{next(self.kinds)}"
        now = SystemClock().now_ms()
        self.provider.offer(OrderTerms(kind, 50, 9, now, now + HOUR_MS))
        bought = self.consumer.request(OrderTerms(kind, quantity, 10, now, now + HOUR_MS))
        [record] = bought.contracts
        self.consumer.report_delivery(record.id)
        return self.provider.request_payment(record.id)


def cli(market: RunningMarket, home: Path, *args: str, code: int = 0) -> str:
    where = ["--url", market.url, "--home", str(home)]
    result = CliRunner().invoke(
        app, ["market", *args, *where], env={"PLAZA_WALLET_PASSWORD": PASSWORD}
    )
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture(scope="module")
def cast(node: RunningNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cast]:
    folder = tmp_path_factory.mktemp("paying")
    with ExitStack() as stack:
        market = stack.enter_context(serve_market(folder / "market", node_url=node.url))
        client = stack.enter_context(node.client())
        clock = SystemClock()
        wallet_path, home = folder / "ev-wallet.json", folder / "ev"
        gateway = RemoteLedger(client, clock=clock)
        wallet, _phrase = Wallet.create(
            wallet_path, PASSWORD, gateway=gateway, clock=clock, kdf=KdfParams.MINIMUM
        )
        wallet.request_faucet(wait=True)
        output = cli(
            market,
            home,
            "register",
            "--name",
            "ev",
            "--role",
            "consumer",
            "--wallet",
            str(wallet_path),
        )
        assert f"participant  {wallet.receive_address().address}" in output
        provider = stack.enter_context(market.client(Identity.generate()))
        provider.register("solar roof", roles=[Role.PROVIDER])
        consumer = stack.enter_context(market.client(MarketHome(home).identity()))
        yield Cast(
            node, market, provider, consumer, home, wallet_path, wallet, gateway, iter(range(99))
        )


def _wait_for(cast: Cast, contract_id: str, phase: Phase) -> ContractRecord:
    deadline = time.monotonic() + FULFIL_TIMEOUT_S
    while True:
        record = cast.consumer.contract(contract_id)
        assert record.settlement is not None
        if record.settlement.phase is phase or time.monotonic() > deadline:
            assert record.settlement.phase is phase
            return record
        time.sleep(0.1)


def test_the_consumer_pays_from_its_wallet_and_the_contract_is_fulfilled(cast: Cast) -> None:
    record = cast.contract()
    provider = record.signed.match.provider
    output = cli(
        cast.market,
        cast.home,
        "pay",
        record.id,
        "--wallet",
        str(cast.wallet_path),
        "--node",
        cast.node.url,
    )
    [message_id] = re.findall(
        rf"^paid 180 to {provider} from {cast.payer} in message (\w+)$", output, re.M
    )
    assert "Payment processed" in output
    fulfilled = _wait_for(cast, record.id, Phase.FULFILLED)
    assert fulfilled.settlement is not None
    assert (fulfilled.settlement.payment_message_id, fulfilled.settlement.payment_amount) == (
        message_id,
        180,
    )
    with cast.node.client() as client:
        assert client.balance(provider).balance == 180
    again = cli(cast.market, cast.home, "pay", record.id, "--wallet", str(cast.wallet_path))
    assert again.startswith("already paid")  # nothing sent twice
    with pytest.raises(ForbiddenError):  # the payee cannot vouch for its own money
        cast.provider.report_payment(record.id, message_id)


def _faucet_pays(cast: Cast, payee: str, amount: int, contract_id: str) -> bytes:
    """Someone other than the consumer pays the provider, naming the contract."""
    with cast.node.client() as client:
        ledger = RemoteLedger(client, clock=SystemClock())
        payload = TransferPayload(
            (Output(Address.parse(payee).raw, amount),),
            PAYMENT_TAG,
            payment_data(contract_id, b"someone"),
        )
        message = ledger.compose(cast.node.faucet, payload)
        ledger.submit(message.raw)
        return message.id


def test_a_wrong_payment_is_refused_with_its_code_and_changes_nothing(cast: Cast) -> None:
    record = cast.contract(quantity=10)  # total 90
    match = record.signed.match
    data = payment_data(match.id, b"short")
    sent = cast.wallet.send(match.provider, 89, payer=cast.payer, tag=PAYMENT_TAG, data=data)
    short = sent.transfers[0].message_id
    cases = {
        "payment_short_amount": short,
        "payment_wrong_payer": _faucet_pays(cast, match.provider, 90, match.id),
        "payment_unknown_message": b"\x42" * 32,
    }
    for code, message_id in cases.items():
        with pytest.raises(PaymentRejectedError) as refused:
            cast.consumer.report_payment(match.id, message_id)
        assert (refused.value.status, refused.value.code) == (422, code)
        assert cast.consumer.contract(match.id).settlement == record.settlement
    other_wallet = cast.wallet_path.with_name("other-wallet.json")
    Wallet.create(
        other_wallet,
        PASSWORD,
        gateway=cast.wallet_gateway,
        clock=SystemClock(),
        kdf=KdfParams.MINIMUM,
    )
    refused = cli(cast.market, cast.home, "pay", match.id, "--wallet", str(other_wallet), code=1)
    assert "holds no key" in refused
    assert cast.consumer.contract(match.id).settlement == record.settlement
    lost = cast.wallet.send(  # paid, but the report was lost: `pay` must not pay again
        match.provider, 90, payer=cast.payer, tag=PAYMENT_TAG, data=payment_data(match.id, b"l")
    )
    paid = cli(cast.market, cast.home, "pay", match.id, "--wallet", str(cast.wallet_path))
    assert f"sent earlier in message {lost.transfers[0].message_id.hex()}" in paid
    assert "Payment processed" in paid  # on the marketplace's own node, from its info
    settled = _wait_for(cast, match.id, Phase.FULFILLED).settlement
    assert settled is not None
    assert settled.payment_message_id == lost.transfers[0].message_id.hex()
