"""Value transfer, balances, history and milestones over HTTP."""

from __future__ import annotations

from node_helpers import address_of, unique_tag
from node_server import RunningNode

from plaza.clients.node import NodeClient
from plaza.crypto import SigningKey
from plaza.ledger.model import ConfirmationState, Conflict, Output, TransferPayload


def _pay(client: NodeClient, payer: SigningKey, payee: SigningKey, amount: int) -> bytes:
    payload = TransferPayload((Output(address_of(payee).raw, amount),), unique_tag("pay").encode())
    result = client.compose_and_submit(payer, payload)
    assert result.status == "stored"
    return result.id


def test_transfer_changes_balances_once_confirmed(node: RunningNode, client: NodeClient) -> None:
    payee = SigningKey.generate()
    faucet_before = client.balance(address_of(node.faucet)).balance

    transfer_id = _pay(client, node.faucet, payee, 1_000)
    metadata = client.wait_for_confirmation(transfer_id, timeout=10)

    assert metadata.state is ConfirmationState.CONFIRMED
    balance = client.balance(str(address_of(payee)))
    assert (balance.address, balance.balance) == (address_of(payee), 1_000)
    assert balance.milestone_index >= (metadata.milestone_index or 0)
    assert client.balance(address_of(node.faucet)).balance == faucet_before - 1_000


def test_transfer_is_found_by_address_and_in_history(node: RunningNode, client: NodeClient) -> None:
    payee = SigningKey.generate()
    transfer_id = _pay(client, node.faucet, payee, 7)
    client.wait_for_confirmation(transfer_id, timeout=10)

    assert client.find_by_address(address_of(payee)).ids == (transfer_id,)
    [entry] = client.history(address_of(payee))
    assert (entry.message_id, entry.delta) == (transfer_id, 7)
    assert entry.state is ConfirmationState.CONFIRMED
    assert entry.milestone_index is not None
    payer_entries = client.history(address_of(node.faucet), limit=5)
    assert any(e.message_id == transfer_id and e.delta == -7 for e in payer_entries)


def test_overspending_transfer_is_confirmed_as_conflicting(
    node: RunningNode, client: NodeClient
) -> None:
    poor, payee = SigningKey.generate(), SigningKey.generate()
    client.wait_for_confirmation(_pay(client, node.faucet, poor, 10), timeout=10)

    overspend = _pay(client, poor, payee, 11)
    metadata = client.wait_for_confirmation(overspend, timeout=10)

    assert metadata.state is ConfirmationState.CONFLICTING
    assert metadata.conflict is Conflict.INSUFFICIENT_FUNDS
    assert client.balance(address_of(poor)).balance == 10
    assert client.balance(address_of(payee)).balance == 0
    [entry] = client.history(address_of(payee))
    assert entry.state is ConfirmationState.CONFLICTING


def test_milestones_by_index_and_latest(node: RunningNode, client: NodeClient) -> None:
    latest = client.latest_milestone()
    genesis = client.milestone(0)
    info = client.info()

    assert latest.index >= 1
    assert client.milestone(latest.index) == latest
    assert genesis.message_id == info.genesis_id
    assert client.get_message(latest.message_id).payload.KIND.name == "MILESTONE"


def test_info_describes_the_node(node: RunningNode, client: NodeClient) -> None:
    info = client.info()

    assert info.network == "plaza-devnet"
    assert info.pow_difficulty == 8
    assert info.coordinator is True
    assert info.milestone_interval_s == 0.2
    assert info.supply > 0
    assert info.statistics["messages"] >= info.latest_milestone_index
    assert len(info.state_root) == 32


def test_tips_are_known_messages(node: RunningNode, client: NodeClient) -> None:
    tips = client.tips(8)

    assert 1 <= len(tips) <= 8
    for tip in tips:
        assert client.metadata(tip).state is not ConfirmationState.HELD
