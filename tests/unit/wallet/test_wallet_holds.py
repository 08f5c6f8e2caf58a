"""The wallet's hold, release and settle composers on an in-process node (LocalLedger).

The arbiter case is the telco order: the service provider holds the asset
provider's payment with the orchestrator as arbiter, which settles pro rata.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from wallet_support import InProcessNode, in_process_node

from plaza.crypto import Address, SigningKey
from plaza.ledger.actions import transfer_key
from plaza.ledger.holds import HoldStatus, hashlock_of
from plaza.ledger.model import Conflict, HoldPayload
from plaza.wallet import InvalidAmount, InvalidRecipient
from plaza.wallet.holds import compose_hold, compose_release, compose_settle, new_lock

MINUTE = 60_000


@pytest.fixture
def node() -> Iterator[InProcessNode]:
    with in_process_node() as running:
        yield running


def address(key: SigningKey) -> Address:
    return key.public_key.address


def test_a_lock_opens_its_own_hashlock_and_hides_its_secret() -> None:
    lock, other = new_lock(), new_lock()
    assert hashlock_of(lock.secret) == lock.hashlock != other.hashlock
    assert lock.secret.hex() not in repr(lock)


def test_compose_hold_builds_the_payload_and_names_the_hold(node: InProcessNode) -> None:
    payer, payee, judge = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()
    lock = new_lock()
    deadline = node.clock.now_ms() + MINUTE
    held = compose_hold(
        node.gateway(),
        payer,
        str(address(payee)),
        42,
        expires_at_ms=deadline,
        hashlock=lock.hashlock,
        arbiter=address(judge),
        tag=b"job",
    )
    assert held.message.payload == HoldPayload(
        address(payee).raw, 42, deadline, lock.hashlock, address(judge).raw, b"job"
    )
    assert held.hold_id == transfer_key(held.message)
    assert held.message.issuer == payer.public_key.raw


@pytest.mark.parametrize(
    ("payee", "amount", "hashlock", "error"),
    [
        ("plz1nope", 1, b"", InvalidRecipient),
        (None, 0, b"", InvalidAmount),
        (None, 2**63, b"", InvalidAmount),
        (None, True, b"", InvalidAmount),
        (None, 1, b"short", ValueError),
    ],
)
def test_compose_hold_refuses_bad_input(
    node: InProcessNode, payee: str | None, amount: int, hashlock: bytes, error: type[Exception]
) -> None:
    key = SigningKey.generate()
    with pytest.raises(error):
        compose_hold(
            node.gateway(),
            key,
            payee or address(key),
            amount,
            expires_at_ms=node.clock.now_ms() + MINUTE,
            hashlock=hashlock,
        )


def test_release_and_settle_refuse_bad_input(node: InProcessNode) -> None:
    key, gateway = SigningKey.generate(), node.gateway()
    with pytest.raises(ValueError, match="secret"):
        compose_release(gateway, key, bytes(32), b"short")
    with pytest.raises(ValueError, match="hold id"):
        compose_release(gateway, key, bytes(31), bytes(32))
    with pytest.raises(InvalidAmount):
        compose_settle(gateway, key, bytes(32), -1)


def test_a_pay_per_call_release_and_a_telco_settlement(node: InProcessNode) -> None:
    customer, provider, orchestrator = (SigningKey.generate() for _ in range(3))
    node.fund(address(customer), 1_000)
    gateway, lock = node.gateway(), new_lock()
    deadline = node.clock.now_ms() + MINUTE
    call = compose_hold(
        gateway, customer, address(provider), 100, expires_at_ms=deadline, hashlock=lock.hashlock
    )
    order = compose_hold(
        gateway,
        customer,
        address(provider),
        600,
        expires_at_ms=deadline,
        arbiter=address(orchestrator),
    )
    for held in (call, order):
        node.runtime.submit(held.message.raw)
    node.milestone()
    release = compose_release(gateway, provider, call.hold_id, lock.secret)
    pro_rata = compose_settle(gateway, orchestrator, order.hold_id, 450, reason=b"asset down 25%")
    for message in (release, pro_rata):
        node.runtime.submit(message.raw)
    node.milestone()

    tangle = node.runtime.tangle
    assert {tangle.metadata(m.id).conflict for m in (release, pro_rata)} == {Conflict.NONE}
    assert tangle.hold(call.hold_id).status is HoldStatus.RELEASED
    assert tangle.hold(order.hold_id).status is HoldStatus.SETTLED
    assert tangle.balance(address(provider).raw) == 100 + 450
    assert tangle.balance(address(customer).raw) == 1_000 - 100 - 450
