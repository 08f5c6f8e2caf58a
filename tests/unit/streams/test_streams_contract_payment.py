"""What a payment of a stream contract buys, as the sensor judges it: the contract's seconds
when it is paid in full by its consumer, proportionally more when overpaid, and a reason
(for the refund) when it is short, another's, or for less than the sensor's minimum."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from plaza.crypto import Address
from plaza.market.contracts import SignedContract
from plaza.market.model import Match
from plaza.streams.kind import STREAM
from plaza.streams.market import contract_duration_ms

SENSOR, BUYER = Address(b"\x01" * 32), Address(b"\x02" * 32)


def _contract(seconds: int, hourly: int, *, provider: Address = SENSOR) -> SignedContract:
    match = Match(
        "ctr_1",
        "stream",
        "ord_o",
        "ord_r",
        str(provider),
        str(BUYER),
        seconds,
        hourly,
        STREAM.policy,
        0,
        0,
    )
    return SignedContract(match, b"k" * 32, b"s" * 64, STREAM.contract_value(seconds, hourly))


def _judge(contract: SignedContract, paid: int, *, payer: Address = BUYER) -> int | str:
    return contract_duration_ms(
        contract, provider=SENSOR, payer=str(payer), paid=paid, minimum_ms=2_000
    )


def test_paid_in_full_by_its_consumer_it_buys_the_contracts_seconds() -> None:
    contract = _contract(3, 180_000)
    assert contract.total == 150
    assert _judge(contract, 150) == 3_000


def test_overpaying_buys_proportionally_more_rounded_down() -> None:
    contract = _contract(3, 180_000)
    assert _judge(contract, 300) == 6_000
    assert _judge(contract, 151) == 3_020


@given(
    seconds=st.integers(2, 10**6),
    hourly=st.integers(1, 10**6),
    extra=st.integers(0, 10**9),
)
def test_never_less_than_the_contract_nor_more_than_paid_for(
    seconds: int, hourly: int, extra: int
) -> None:
    contract = _contract(seconds, hourly)
    paid = contract.total + extra
    bought = _judge(contract, paid)
    assert isinstance(bought, int)
    assert seconds * 1000 <= bought
    assert bought * contract.total <= seconds * 1000 * paid


def test_short_anothers_or_below_the_minimum_is_refused_with_the_reason() -> None:
    contract = _contract(3, 180_000)
    assert _judge(contract, 149) == "it pays 149, the contract's total is 150"
    stranger = Address(b"\x03" * 32)
    assert _judge(contract, 150, payer=stranger) == (
        "the payment does not come from the contract's consumer"
    )
    elsewhere = _contract(3, 180_000, provider=stranger)
    assert _judge(elsewhere, 150) == "the contract is not for this sensor's stream"
    brief = _contract(1, 180_000)
    assert _judge(brief, 50) == "the contract buys 1 s, below the minimum of 2000 ms"
