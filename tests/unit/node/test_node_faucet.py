"""The devnet faucet: pays, limits per address and per client, never overdraws itself."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from plaza.crypto import Address
from plaza.ledger.compose import compose
from plaza.ledger.genesis import Genesis
from plaza.ledger.model import Conflict, DataPayload, TransferPayload
from plaza.node import (
    FaucetEmpty,
    FaucetPolicy,
    FaucetRateLimited,
    FaucetUnavailable,
    NodeConfig,
    NodeFaucet,
    NodeRuntime,
)
from plaza.node.faucet import FAUCET_TAG
from plaza.storage import MemoryTangleStore
from plaza.testing import FakeClock, TangleKit, build_tangle
from plaza.testing.builders import key_from_number


def address(number: int) -> Address:
    return Address.from_public_key(key_from_number(1000 + number).public_key.raw)


def faucet_for(kit: TangleKit, **policy: float) -> NodeFaucet:
    settings = {"amount": 100, "address_interval_s": 60.0, "requests_per_s": 1.0, "burst": 3}
    settings.update(policy)
    return NodeFaucet(
        kit.tangle,
        kit.faucet,
        clock=kit.clock,
        work=kit.work,
        policy=FaucetPolicy(**settings),  # type: ignore[arg-type]
    )


def advance(kit: TangleKit, seconds: float) -> None:
    clock = kit.clock
    assert isinstance(clock, FakeClock)
    clock.advance(seconds=seconds)


def test_a_grant_is_a_tagged_transfer_that_confirms() -> None:
    kit = build_tangle()
    faucet = faucet_for(kit)

    grant = faucet.grant(address(1), client="10.0.0.1")
    kit.milestone()

    message = kit.tangle.get_message(grant.message_id)
    assert isinstance(message.payload, TransferPayload)
    assert message.payload.tag == FAUCET_TAG
    assert kit.tangle.metadata(grant.message_id).conflict is Conflict.NONE
    assert kit.tangle.balance(address(1).raw) == grant.amount == 100


def test_an_address_is_funded_once_per_interval() -> None:
    kit = build_tangle()
    faucet = faucet_for(kit, address_interval_s=60)
    faucet.grant(address(1), client="a")
    advance(kit, 45)

    with pytest.raises(FaucetRateLimited) as raised:
        faucet.grant(address(1), client="b")

    assert raised.value.reason == "address"
    assert raised.value.retry_after_s == pytest.approx(15)
    advance(kit, 15)
    faucet.grant(address(1), client="b")


def test_a_client_has_a_token_bucket_and_refusals_cost_nothing() -> None:
    kit = build_tangle()
    faucet = faucet_for(kit, requests_per_s=0.5, burst=2)
    faucet.grant(address(1), client="host")
    with pytest.raises(FaucetRateLimited):
        faucet.grant(address(1), client="host")  # the address limit; no token spent
    faucet.grant(address(2), client="host")

    with pytest.raises(FaucetRateLimited) as raised:
        faucet.grant(address(3), client="host")

    assert raised.value.reason == "client"
    assert raised.value.retry_after_s == pytest.approx(2)
    faucet.grant(address(4), client="another host")
    advance(kit, 2)
    faucet.grant(address(3), client="host")


def test_grants_in_flight_count_against_the_balance() -> None:
    kit = build_tangle(supply=250)
    faucet = faucet_for(kit)
    faucet.grant(address(1), client="a")
    faucet.grant(address(2), client="a")

    with pytest.raises(FaucetEmpty) as raised:
        faucet.grant(address(3), client="a")
    kit.milestone()
    with pytest.raises(FaucetEmpty):
        faucet.grant(address(3), client="a")

    assert (raised.value.available, raised.value.amount) == (50, 100)
    assert kit.tangle.balance(kit.faucet.public_key.address.raw) == 50


def test_many_requests_at_once_never_conflict() -> None:
    kit = build_tangle(supply=10_000)
    faucet = faucet_for(kit, requests_per_s=1, burst=100)

    with ThreadPoolExecutor(8) as pool:
        grants = list(pool.map(lambda n: faucet.grant(address(n), client="c"), range(60)))
    kit.milestone()

    assert {kit.tangle.metadata(g.message_id).conflict for g in grants} == {Conflict.NONE}
    assert len({g.message_id for g in grants}) == 60
    assert kit.tangle.balance(kit.faucet.public_key.address.raw) == 10_000 - 60 * 100
    assert faucet.statistics()["faucet_grants"] == 60


def test_remembered_addresses_are_bounded() -> None:
    kit = build_tangle()
    faucet = NodeFaucet(
        kit.tangle,
        kit.faucet,
        clock=kit.clock,
        work=kit.work,
        policy=FaucetPolicy(amount=1, requests_per_s=1, burst=100, max_addresses=10),
    )

    for n in range(30):
        faucet.grant(address(n), client="c")

    assert faucet.statistics()["faucet_addresses_remembered"] <= 10


def test_a_node_without_a_faucet_key_says_so() -> None:
    clock = FakeClock()
    coordinator = key_from_number(2)
    genesis = Genesis.create(
        "no-faucet",
        timestamp_ms=clock.now_ms(),
        allocations={address(0).raw: 10},
        coordinator_keys=(coordinator.public_key.raw,),
    )
    runtime = NodeRuntime(
        store=MemoryTangleStore(),
        genesis=genesis,
        config=NodeConfig(pow_difficulty=0),
        clock=clock,
        coordinator_keys=[coordinator],
    )
    try:
        assert runtime.faucet is None
        with pytest.raises(FaucetUnavailable):
            runtime.grant_faucet(address(1))
    finally:
        runtime.close()


def test_policy_refuses_a_zero_grant() -> None:
    with pytest.raises(ValueError, match="positive"):
        FaucetPolicy(amount=0)


def test_a_tip_from_a_clock_ahead_does_not_break_grants() -> None:
    kit = build_tangle()
    faucet = faucet_for(kit)
    ahead = compose(
        kit.faucet,
        network_id=kit.network_id,
        parents=kit.tangle.select_parents(),
        payload=DataPayload(b"ahead", b""),
        issued_at_ms=kit.clock.now_ms() + 10_000,  # within the 30 s the ledger tolerates
        work=kit.work,
    )
    kit.submit(ahead)

    grant = faucet.grant(address(1), client="a")

    assert kit.tangle.get_message(grant.message_id).issued_at_ms >= ahead.issued_at_ms
