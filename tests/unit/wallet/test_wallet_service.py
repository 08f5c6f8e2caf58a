"""The wallet's use cases against an in-process node (memory store, fake clock, no work)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from wallet_support import FAUCET_AMOUNT, PASSWORD, InProcessNode, in_process_node

from plaza.adapters.ledger.local import LocalLedger
from plaza.crypto import Address, Identity, Seed
from plaza.ledger.model import ConfirmationState, Conflict
from plaza.testing.builders import key_from_number
from plaza.wallet import (
    AccountExists,
    ConfirmationTimeout,
    InsufficientBalance,
    InvalidAccountName,
    InvalidAmount,
    InvalidRecipient,
    InvalidRecoveryPhrase,
    KdfParams,
    TransferConflicted,
    UnknownAccount,
    Wallet,
    WalletExists,
    WeakPassword,
)

STRANGER = Address.from_public_key(key_from_number(99).public_key.raw)


@pytest.fixture
def node() -> Iterator[InProcessNode]:
    with in_process_node() as running:
        yield running


@pytest.fixture
def alice(node: InProcessNode, tmp_path: Path) -> Wallet:
    wallet = node.create_wallet(tmp_path / "alice.json")
    node.fund(wallet.receive_address().address, 1000)
    return wallet


def open_again(node: InProcessNode, wallet: Wallet) -> Wallet:
    return Wallet.open(wallet.path, PASSWORD, gateway=node.gateway(), clock=node.clock)


def messages(node: InProcessNode) -> int:
    return node.runtime.tangle.statistics()["messages"]


def test_create_shows_the_phrase_once_and_restore_recovers_the_addresses(
    node: InProcessNode, tmp_path: Path
) -> None:
    wallet, phrase = Wallet.create(
        tmp_path / "a.json",
        PASSWORD,
        gateway=node.gateway(),
        clock=node.clock,
        kdf=KdfParams.MINIMUM,
    )
    second = wallet.receive_address(new=True)

    restored = Wallet.restore(
        tmp_path / "b.json",
        "another password",
        phrase.reveal(),
        gateway=node.gateway(),
        clock=node.clock,
        kdf=KdfParams.MINIMUM,
        scan=False,
    )

    assert phrase.reveal() not in repr(phrase) + str(phrase)
    assert restored.receive_address() == wallet.addresses()[0]
    assert restored.receive_address(new=True) == second


def test_restore_scans_for_used_accounts_and_addresses(node: InProcessNode, tmp_path: Path) -> None:
    seed = Seed.generate()
    used = [Identity.from_seed(seed, account=0, index=3), Identity.from_seed(seed, account=1)]
    for identity in used:
        node.fund(identity.address, 10)

    restored = Wallet.restore(
        tmp_path / "r.json",
        PASSWORD,
        seed.to_mnemonic(),
        gateway=node.gateway(),
        clock=node.clock,
        kdf=KdfParams.MINIMUM,
    )

    assert [(a.name, a.index, a.address_count) for a in restored.accounts()] == [
        ("main", 0, 4),
        ("account-1", 1, 1),
    ]
    assert restored.balance("account-1").confirmed == 10


def test_restore_refusals(node: InProcessNode, tmp_path: Path) -> None:
    phrase = Seed(bytes([7]) * 32).to_mnemonic()  # fixed: a random word could be in the error text
    words = phrase.split()
    target = tmp_path / "x.json"

    def restore(password: str, text: str) -> Wallet:
        return Wallet.restore(
            target,
            password,
            text,
            gateway=node.gateway(),
            clock=node.clock,
            kdf=KdfParams.MINIMUM,
        )

    with pytest.raises(InvalidRecoveryPhrase) as bad:
        restore(PASSWORD, " ".join([*words[:-1], "zzz"]))
    with pytest.raises(WeakPassword):
        restore("short", phrase)
    target.write_text("{}")
    with pytest.raises(WalletExists):
        restore(PASSWORD, phrase)

    assert "zzz" not in str(bad.value)
    assert words[0] not in str(bad.value)


def test_accounts_and_addresses_persist(alice: Wallet, node: InProcessNode) -> None:
    savings = alice.add_account("savings")
    extra = alice.receive_address("savings", new=True)

    reopened = open_again(node, alice)

    assert [a.name for a in reopened.accounts()] == ["main", "savings"]
    assert savings.index == 1
    assert extra.index == 1
    assert reopened.receive_address("savings") == extra
    assert len(reopened.addresses(None)) == 3
    assert extra.address not in {a.address for a in reopened.addresses("main")}
    with pytest.raises(AccountExists):
        alice.add_account("savings")
    with pytest.raises(InvalidAccountName):
        alice.add_account(" padded ")
    with pytest.raises(UnknownAccount, match="main, savings"):
        alice.balance("nope")


def test_send_and_wait(alice: Wallet, node: InProcessNode, tmp_path: Path) -> None:
    bob = node.create_wallet(tmp_path / "bob.json")

    payment = alice.send(bob.receive_address().address, 250, wait=True)

    assert payment.confirmed
    assert payment.total == 250
    assert alice.balance().confirmed == 750
    assert bob.balance().confirmed == 250
    [line] = bob.history()
    assert (line.movement.delta, line.state) == (250, ConfirmationState.CONFIRMED)


def test_history_shows_pending_then_confirmed(alice: Wallet, node: InProcessNode) -> None:
    node.clock.advance(seconds=1)
    alice.send(STRANGER, 100)

    pending = alice.history()[0]
    node.milestone()
    confirmed = alice.history()[0]

    assert (pending.movement.delta, pending.state) == (-100, ConfirmationState.PENDING)
    assert confirmed.state is ConfirmationState.CONFIRMED
    assert [line.movement.delta for line in alice.history()] == [-100, 1000]


def test_in_flight_amounts_are_not_spent_twice(alice: Wallet, node: InProcessNode) -> None:
    alice.send(STRANGER, 600)
    before = messages(node)

    with pytest.raises(InsufficientBalance) as raised:
        alice.send(STRANGER, 600)

    assert (raised.value.needed, raised.value.available) == (600, 400)
    assert messages(node) == before  # refused locally: nothing was attached
    balance = alice.balance()
    assert (balance.confirmed, balance.in_flight, balance.available) == (1000, 600, 400)
    node.milestone()
    balance = alice.balance()
    assert (balance.confirmed, balance.in_flight, balance.available) == (400, 0, 400)


def test_a_second_session_adopts_transfers_still_in_flight(
    alice: Wallet, node: InProcessNode
) -> None:
    alice.send(STRANGER, 600)
    later = open_again(node, alice)

    with pytest.raises(InsufficientBalance):
        later.send(STRANGER, 600)
    assert later.balance().in_flight == 600


def test_payment_split_over_addresses(alice: Wallet, node: InProcessNode) -> None:
    second = alice.receive_address(new=True)
    node.fund(second.address, 700)

    payment = alice.send(STRANGER, 1500, wait=True)

    assert len(payment.transfers) == 2
    assert [t.total for t in payment.transfers] == [1000, 500]  # the richest address first
    assert node.runtime.tangle.balance(STRANGER.raw) == 1500
    assert alice.balance().confirmed == 200


def test_send_many_is_one_transfer_with_sorted_outputs(alice: Wallet) -> None:
    others = [Address.from_public_key(key_from_number(n).public_key.raw) for n in (50, 51, 52)]

    payees: dict[Address | str, int] = {str(others[0]): 10, others[1]: 20, others[0]: 5}
    payees[others[2]] = 30

    payment = alice.send_many(payees)

    [transfer] = payment.transfers
    assert [o.address for o in transfer.outputs] == sorted(o.raw for o in others)
    assert transfer.total == 65


@pytest.mark.parametrize("amount", [0, -5, True, 2**63])
def test_invalid_amounts(alice: Wallet, amount: int) -> None:
    with pytest.raises(InvalidAmount):
        alice.send(STRANGER, amount)


def test_invalid_recipients_and_too_many(alice: Wallet) -> None:
    with pytest.raises(InvalidRecipient, match="checksum"):
        alice.send(str(STRANGER)[:-1] + ("q" if str(STRANGER)[-1] != "q" else "p"), 1)
    many = {Address.from_public_key(key_from_number(n).public_key.raw): 1 for n in range(33)}
    with pytest.raises(InvalidAmount, match="1 to 32"):
        alice.send_many(many)


def test_wait_times_out_without_milestones(alice: Wallet, node: InProcessNode) -> None:
    stalled = Wallet.open(
        alice.path,
        PASSWORD,
        gateway=LocalLedger(node.runtime, pause=lambda _s: None),
        clock=node.clock,
    )

    with pytest.raises(ConfirmationTimeout):
        stalled.send(STRANGER, 1, wait=True, timeout_s=0.2)


def test_a_conflicting_transfer_is_reported(alice: Wallet, node: InProcessNode) -> None:
    """Someone else with the same key spends first: the wallet's transfer conflicts."""
    alice.balance()  # the wallet has looked; the rival spend comes after
    payer = alice.receive_address()
    rival_key = alice._signer(0, payer.index)  # the same key, used outside the wallet
    node.spend(rival_key, {STRANGER: 900})

    with pytest.raises(TransferConflicted) as raised:
        alice.send(STRANGER, 1000, wait=True)

    assert raised.value.conflict == "insufficient_funds"


def test_faucet_funds_the_receive_address(node: InProcessNode, tmp_path: Path) -> None:
    wallet = node.create_wallet(tmp_path / "w.json")

    grant = wallet.request_faucet(wait=True)

    assert grant.metadata is not None
    assert grant.metadata.conflict is Conflict.NONE
    assert grant.address == wallet.receive_address().address
    assert wallet.balance().confirmed == FAUCET_AMOUNT


def test_history_of_every_account_newest_first(alice: Wallet, node: InProcessNode) -> None:
    node.clock.advance(seconds=1)
    alice.add_account("savings")
    alice.send(alice.receive_address("savings").address, 300, wait=True)

    lines = alice.history(None)

    assert [(line.account, line.movement.delta) for line in lines][:2] in (
        [("main", -300), ("savings", 300)],
        [("savings", 300), ("main", -300)],
    )
    assert lines[-1].movement.delta == 1000
    assert len(alice.history(None, limit=2)) == 2


def test_wallet_repr_and_statistics(alice: Wallet) -> None:
    alice.send(STRANGER, 1)

    assert repr(alice) == f"Wallet(path='{alice.path}', accounts=[main])"
    assert alice.statistics() == {"accounts": 1, "addresses": 1, "in_flight": 1}


def test_a_tip_from_a_clock_ahead_does_not_break_sends(alice: Wallet, node: InProcessNode) -> None:
    ahead = node.clock.now_ms() + 10_000  # within the 30 s the ledger tolerates
    node.clock.advance(ms=10_000)
    node.spend(node.faucet, {STRANGER: 1})  # a tip issued "in the future"
    node.clock.advance(ms=-10_000)

    payment = alice.send(STRANGER, 5, wait=True)

    assert payment.transfers[0].issued_at_ms >= ahead
