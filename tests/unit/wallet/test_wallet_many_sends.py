"""A wallet issues many transfers quickly and none of them conflicts."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from wallet_support import InProcessNode, in_process_node

from plaza.crypto import Address
from plaza.ledger.model import Conflict
from plaza.testing.builders import key_from_number
from plaza.wallet import InsufficientBalance, Wallet

RECIPIENTS = [Address.from_public_key(key_from_number(n).public_key.raw) for n in range(60, 65)]


def conflicts(node: InProcessNode, wallet_ids: list[bytes]) -> set[Conflict]:
    return {node.runtime.tangle.metadata(message_id).conflict for message_id in wallet_ids}


def test_200_sends_all_confirm_without_conflict(tmp_path: Path) -> None:
    rng = random.Random(3)
    with in_process_node() as node:
        wallet = node.create_wallet(tmp_path / "w.json")
        node.fund(wallet.receive_address().address, 100_000)
        sent: list[bytes] = []
        paid = dict.fromkeys(RECIPIENTS, 0)
        for number in range(200):
            to, amount = rng.choice(RECIPIENTS), rng.randint(1, 400)
            sent += wallet.send(to, amount).message_ids
            paid[to] += amount
            if number % 70 == 69:
                node.milestone()  # some confirm while the others are still in flight
        node.milestone()

        assert len(sent) == 200
        assert {node.runtime.tangle.metadata(i).milestone_index is not None for i in sent} == {True}
        assert conflicts(node, sent) == {Conflict.NONE}
        for address, amount in paid.items():
            assert node.runtime.tangle.balance(address.raw) == amount
        assert wallet.balance().confirmed == 100_000 - sum(paid.values())


def try_send(wallet: Wallet, amount: int) -> list[bytes] | InsufficientBalance:
    try:
        return list(wallet.send(RECIPIENTS[0], amount).message_ids)
    except InsufficientBalance as refused:
        return refused


operations = st.lists(
    st.one_of(st.integers(1, 300), st.just("milestone"), st.just("tick")), max_size=40
)


@settings(max_examples=30, deadline=None)
@given(operations)
def test_whatever_the_order_a_wallet_never_overdraws(steps: list[int | str]) -> None:
    """Sends, milestones and time in any order: each send is refused locally or applies."""
    with in_process_node() as node, tempfile.TemporaryDirectory() as folder:
        wallet: Wallet = node.create_wallet(Path(folder) / "w.json")
        node.fund(wallet.receive_address().address, 1000)
        sent: list[bytes] = []
        for step in steps:
            if step == "milestone":
                node.milestone()
            elif step == "tick":
                node.clock.advance(ms=250)
            else:
                assert isinstance(step, int)
                outcome = try_send(wallet, step)
                if isinstance(outcome, InsufficientBalance):
                    assert outcome.available < step
                else:
                    sent += outcome
        node.milestone()

        assert conflicts(node, sent) <= {Conflict.NONE}
        total = sum(node.runtime.tangle.balance(r.raw) for r in RECIPIENTS)
        assert wallet.balance().confirmed == 1000 - total
