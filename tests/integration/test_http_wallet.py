"""A wallet over HTTP (RemoteLedger) against a real node, with its coordinator running."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from node_helpers import address_of
from node_server import RunningNode, node_settings, serve_node

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bootstrap import SystemClock
from plaza.clients.node import NodeClient
from plaza.crypto import SigningKey
from plaza.ledger.model import ConfirmationState, Conflict
from plaza.wallet import (
    KdfParams,
    NodeUnreachable,
    RateLimited,
    Wallet,
)

PASSWORD = "correct horse battery staple"
SENDS = 200


@pytest.fixture(scope="module")
def wallet_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    folder = tmp_path_factory.mktemp("wallet-node")
    settings = node_settings(folder).model_copy(update={"faucet_amount": 1_000_000})
    with serve_node(settings) as running:
        yield running


@pytest.fixture
def gateway(wallet_node: RunningNode) -> Iterator[RemoteLedger]:
    with wallet_node.client() as client:
        yield RemoteLedger(client, clock=SystemClock())


def new_wallet(path: Path, gateway: RemoteLedger) -> Wallet:
    wallet, _ = Wallet.create(
        path, PASSWORD, gateway=gateway, clock=SystemClock(), kdf=KdfParams.MINIMUM
    )
    return wallet


def test_200_sends_as_fast_as_possible_all_confirm_without_conflict(
    wallet_node: RunningNode, gateway: RemoteLedger, tmp_path: Path
) -> None:
    rng = random.Random(11)
    wallet = new_wallet(tmp_path / "w.json", gateway)
    wallet.request_faucet(wait=True, timeout_s=10)
    recipients = [address_of(SigningKey.generate()) for _ in range(7)]
    paid = dict.fromkeys(recipients, 0)

    sent: list[bytes] = []
    for _ in range(SENDS):
        to, amount = rng.choice(recipients), rng.randint(1, 2_000)
        sent += wallet.send(to, amount).message_ids
        paid[to] += amount

    with wallet_node.client() as client:
        outcomes = [client.wait_for_confirmation(i, timeout=20) for i in sent]
        balances = {to: client.balance(to).balance for to in recipients}
    assert len(sent) == SENDS
    assert {outcome.conflict for outcome in outcomes} == {Conflict.NONE}
    assert balances == paid
    assert wallet.balance().confirmed == 1_000_000 - sum(paid.values())


def test_history_and_faucet_limits_through_the_gateway(
    gateway: RemoteLedger, tmp_path: Path
) -> None:
    wallet = new_wallet(tmp_path / "w.json", gateway)
    grant = wallet.request_faucet(wait=True, timeout_s=10)

    with pytest.raises(RateLimited) as limited:
        wallet.request_faucet()

    [line] = wallet.history()
    assert (line.movement.message_id, line.state) == (grant.message_id, ConfirmationState.CONFIRMED)
    assert limited.value.retry_after_s is not None
    assert gateway.metadata(b"\x00" * 32) is None


def test_an_unreachable_node_is_one_clear_error(tmp_path: Path) -> None:
    with NodeClient("http://127.0.0.1:9", timeout=1) as client:
        gateway = RemoteLedger(client, clock=SystemClock())
        wallet = new_wallet(tmp_path / "w.json", gateway)

        with pytest.raises(NodeUnreachable, match=r"http://127\.0\.0\.1:9"):
            wallet.balance()


def test_faucet_settings_reach_the_node(tmp_path: Path) -> None:
    settings = node_settings(tmp_path).model_copy(update={"faucet_amount": 777})
    with serve_node(settings) as running, running.client() as client:
        assert client.faucet(address_of(SigningKey.generate())).amount == 777
