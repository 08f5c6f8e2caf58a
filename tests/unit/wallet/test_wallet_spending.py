"""Spending rules: payer planning and in-flight accounting, as properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaza.crypto import Address
from plaza.ledger.model import TRANSFER_TTL_MS, Conflict, MessageMetadata
from plaza.wallet import InsufficientBalance, WalletAddress
from plaza.wallet.spending import InFlightTransfers, Outgoing, plan_payment


def wallet_address(index: int) -> WalletAddress:
    return WalletAddress("main", index, Address(bytes([index]) * 32))


def recipient(index: int) -> bytes:
    return bytes([200 + index]) * 32


availabilities = st.lists(st.integers(0, 1000), min_size=1, max_size=6)
payments = st.dictionaries(st.integers(0, 9).map(recipient), st.integers(1, 800), min_size=1)


@given(availabilities, payments)
def test_a_plan_pays_exactly_the_outputs_and_overdraws_no_payer(
    available: list[int], outputs: dict[bytes, int]
) -> None:
    budget = [(wallet_address(i), amount) for i, amount in enumerate(available)]
    total = sum(outputs.values())
    if sum(available) < total:
        with pytest.raises(InsufficientBalance) as refused:
            plan_payment(budget, outputs, account="main")
        assert (refused.value.needed, refused.value.available) == (total, sum(available))
        return
    plan = plan_payment(budget, outputs, account="main")
    paid: dict[bytes, int] = {}
    for payer, part in plan:
        assert sum(part.values()) <= available[payer.index]
        assert all(amount > 0 for amount in part.values())
        for address, amount in part.items():
            paid[address] = paid.get(address, 0) + amount
    assert paid == outputs
    assert len({payer.index for payer, _ in plan}) == len(plan)
    if max(available) >= total:
        assert len(plan) == 1


def test_the_richest_address_pays_alone_when_it_can() -> None:
    budget = [(wallet_address(0), 300), (wallet_address(1), 900), (wallet_address(2), 500)]

    [(payer, part)] = plan_payment(budget, {recipient(0): 400}, account="main")

    assert payer.index == 1
    assert part == {recipient(0): 400}


def test_an_empty_account_names_no_address() -> None:
    with pytest.raises(InsufficientBalance) as raised:
        plan_payment([(wallet_address(0), 0)], {recipient(0): 1}, account="main")

    assert raised.value.address is None


def metadata(message_id: bytes, index: int | None) -> MessageMetadata:
    return MessageMetadata(message_id, True, index, Conflict.NONE)


def test_settle_forgets_only_what_the_balance_includes() -> None:
    payer = b"p" * 32
    in_flight = InFlightTransfers()
    ledger = {
        b"a": metadata(b"a", 3),  # confirmed before the balance was read
        b"b": metadata(b"b", 5),  # confirmed at the balance's milestone
        b"c": metadata(b"c", 6),  # confirmed after: not in the balance yet
        b"d": metadata(b"d", None),  # pending
    }
    for message_id in [*ledger, b"gone"]:
        in_flight.add(Outgoing(message_id, payer, 10, issued_at_ms=1_000))

    in_flight.settle(payer, 5, ledger.get, now_ms=2_000)

    assert (in_flight.total(payer), in_flight.count(payer)) == (20, 2)


def test_settle_forgets_expired_transfers_and_other_payers_stay() -> None:
    in_flight = InFlightTransfers()
    in_flight.add(Outgoing(b"old", b"p" * 32, 10, issued_at_ms=0))
    in_flight.add(Outgoing(b"other", b"q" * 32, 7, issued_at_ms=0))

    in_flight.settle(b"p" * 32, 1, lambda _id: metadata(b"old", None), now_ms=TRANSFER_TTL_MS + 1)

    assert in_flight.count() == 1
    assert in_flight.total(b"q" * 32) == 7
