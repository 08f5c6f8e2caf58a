"""LedgerPayments against an in-process node: what a device can pay, funding, one message per
payment however often it is sent, and when a payment is confirmed or can never apply."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from twins_support import EV, SOLAR, Ledger, in_process_ledger, pay_from, pid

from plaza.adapters.ledger.local import LocalLedger
from plaza.adapters.ledger.remote import RemoteLedger
from plaza.clients.node import NodeClient
from plaza.crypto import Address
from plaza.ledger.codec import assemble, decode_message
from plaza.ledger.compose import choose_parents
from plaza.ledger.model import TRANSFER_TTL_MS, Conflict, TransferPayload
from plaza.market.payments.service import (
    FUNDING_TAG,
    DeviceAccount,
    KeyFunder,
    LedgerPayments,
    WalletFunder,
    payment_contract_id,
)
from plaza.market.settlement import Contract, PaymentFailed, PaymentStatus, PreparedPayment
from plaza.testing import FakeClock
from plaza.testing.builders import key_from_number
from plaza.wallet import KdfParams, Wallet

OWNER = key_from_number(20)


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with in_process_ledger() as running:
        yield running


def payments(ledger: Ledger, *, funded: int = 0, owner: int = 0) -> LedgerPayments:
    """EV's agent: its device key, and its owner's key holding ``owner`` (if any)."""
    port = LocalLedger(ledger.runtime)
    if funded:
        pay_from(ledger, ledger.treasury, pid(EV), funded)
    if owner:
        pay_from(ledger, ledger.treasury, str(OWNER.public_key.address), owner)
    if funded or owner:
        ledger.milestone()
    funder = KeyFunder(OWNER, port) if owner else None
    return LedgerPayments(port, [DeviceAccount(EV.signing, funder)])


def contract(number: int, quantity: int = 10, price: int = 30) -> Contract:
    return Contract(f"mat-{number}", pid(SOLAR), pid(EV), quantity, price, 0)


def balance(ledger: Ledger, participant: str) -> int:
    return ledger.runtime.tangle.balance(Address.parse(participant).raw)


def test_available_is_the_confirmed_balance_less_payments_in_flight(ledger: Ledger) -> None:
    pay = payments(ledger, funded=1_000)
    assert pay.available(pid(EV)) == 1_000
    pay.submit(pay.prepare(contract(1)))
    assert pay.available(pid(EV)) == 700
    ledger.milestone()
    assert pay.available(pid(EV)) == 700
    assert balance(ledger, pid(SOLAR)) == 300


def test_a_payment_submitted_again_is_one_message_paid_once(ledger: Ledger) -> None:
    pay = payments(ledger, funded=1_000)
    payment = pay.prepare(contract(1))
    assert (payment.amount, payment_contract_id(payment.raw)) == (300, "mat-1")
    count = ledger.message_count()
    for _ in range(3):
        pay.submit(payment)
    assert ledger.message_count() == count + 1
    assert pay.status(payment) is PaymentStatus.PENDING
    ledger.milestone()
    pay.submit(payment)  # even after confirmation
    assert pay.status(payment) is PaymentStatus.CONFIRMED
    assert balance(ledger, pid(SOLAR)) == 300


def test_two_payments_of_one_contract_are_never_one_message(ledger: Ledger) -> None:
    pay = payments(ledger, funded=1_000)
    first, second = pay.prepare(contract(1)), pay.prepare(contract(1))
    assert first.message_id != second.message_id  # a salt in each: never the same by accident


def test_funding_counts_once_attached_and_is_applied_before_the_payment(ledger: Ledger) -> None:
    pay = payments(ledger, owner=10_000)
    assert pay.available(pid(EV)) == 0
    pay.fund(pid(EV), 500, reference="mat-1")
    assert pay.available(pid(EV)) == 500  # no second funding for the same shortfall
    payment = pay.prepare(contract(1, quantity=4, price=100))
    funding = ledger.runtime.tangle.get_message(decode_message(payment.raw).parents[0])
    assert isinstance(funding.payload, TransferPayload)
    assert funding.payload.tag == FUNDING_TAG  # the payment comes after its funding
    pay.submit(payment)
    assert pay.available(pid(EV)) == 100
    ledger.milestone()
    assert pay.status(payment) is PaymentStatus.CONFIRMED
    assert (balance(ledger, pid(EV)), pay.available(pid(EV))) == (100, 100)


def test_a_payment_the_device_cannot_cover_fails(ledger: Ledger) -> None:
    pay = payments(ledger, funded=100)
    payment = pay.prepare(contract(1))
    pay.submit(payment)
    ledger.milestone()
    assert (
        ledger.runtime.tangle.metadata(payment.message_id).conflict is Conflict.INSUFFICIENT_FUNDS
    )
    assert pay.status(payment) is PaymentStatus.FAILED
    assert pay.available(pid(EV)) == 100


def test_a_copy_under_another_nonce_applied_first_means_paid(ledger: Ledger) -> None:
    """The same signed transfer applied under another id: the original is a replay, and paid."""
    pay = payments(ledger, funded=1_000)
    payment = pay.prepare(contract(1))
    original = decode_message(payment.raw)
    copy = assemble(original.essence, original.signature, original.nonce + 1)
    ledger.runtime.submit(copy.raw)
    ledger.milestone()
    pay.submit(payment)
    ledger.milestone()
    assert ledger.runtime.tangle.metadata(payment.message_id).conflict is Conflict.REPLAYED
    assert pay.status(payment) is PaymentStatus.CONFIRMED
    assert balance(ledger, pid(SOLAR)) == 300  # once


def test_an_unsent_payment_fails_only_once_ledger_time_passes_its_lifetime(ledger: Ledger) -> None:
    pay = payments(ledger, funded=1_000)
    payment = pay.prepare(contract(1))
    assert pay.status(payment) is PaymentStatus.PENDING
    ledger.clock.advance(ms=TRANSFER_TTL_MS + 1_000)
    assert pay.status(payment) is PaymentStatus.PENDING  # no milestone yet: the ledger's time
    ledger.milestone()
    assert pay.status(payment) is PaymentStatus.FAILED


def test_what_cannot_be_paid_is_refused_as_payment_failed(ledger: Ledger) -> None:
    pay = payments(ledger, funded=1_000)
    with pytest.raises(PaymentFailed, match="no device key"):
        pay.prepare(Contract("mat-1", pid(EV), pid(SOLAR), 1, 1, 0))
    with pytest.raises(PaymentFailed, match="no address"):
        pay.prepare(Contract("mat-2", "solar-panel-7", pid(EV), 1, 1, 0))
    with pytest.raises(PaymentFailed, match="not positive"):
        pay.prepare(contract(3, price=0))
    with pytest.raises(PaymentFailed, match="no owner funds"):
        pay.fund(pid(EV), 10, reference="mat-4")
    with pytest.raises(PaymentFailed):
        pay.available(pid(SOLAR))
    assert repr(DeviceAccount(EV.signing)) == f"DeviceAccount({pid(EV)})"


def test_a_funding_the_owner_cannot_cover_stops_counting_once_confirmed(ledger: Ledger) -> None:
    port = LocalLedger(ledger.runtime)
    broke = KeyFunder(key_from_number(21), port)
    pay = LedgerPayments(port, [DeviceAccount(EV.signing, broke)])
    pay.fund(pid(EV), 10, reference="mat-1")
    assert pay.available(pid(EV)) == 10
    ledger.milestone()
    assert pay.available(pid(EV)) == 0


def test_an_owner_wallet_funds_the_device(ledger: Ledger, tmp_path: Path) -> None:
    gateway = LocalLedger(ledger.runtime, pause=lambda _s: ledger.milestone())
    wallet, _phrase = Wallet.create(
        tmp_path / "owner.wallet",
        "correct horse battery",
        gateway=gateway,
        clock=ledger.clock,
        kdf=KdfParams.MINIMUM,
    )
    pay_from(ledger, ledger.treasury, str(wallet.receive_address()), 5_000)
    ledger.milestone()
    port = LocalLedger(ledger.runtime)
    pay = LedgerPayments(port, [DeviceAccount(EV.signing, WalletFunder(wallet))])
    pay.fund(pid(EV), 1_200, reference="mat-1")
    assert pay.available(pid(EV)) == 1_200
    ledger.milestone()
    assert balance(ledger, pid(EV)) == 1_200
    with pytest.raises(PaymentFailed, match="insufficient balance"):
        pay.fund(pid(EV), 10_000, reference="mat-2")


def test_parents_put_what_must_come_first_first() -> None:
    tips = [bytes([n]) * 32 for n in range(6)]
    first = [b"\xaa" * 32, tips[0], b"\xbb" * 32, b"\xcc" * 32]
    chosen = choose_parents(first, tips)
    assert chosen[:3] == [b"\xaa" * 32, tips[0], b"\xbb" * 32]
    assert len(chosen) == 8 == len(set(chosen))


def test_an_unreachable_node_is_a_payment_failure_not_a_crash() -> None:
    with NodeClient("http://127.0.0.1:9", timeout=0.5) as client:
        port = RemoteLedger(client, clock=FakeClock())
        pay = LedgerPayments(port, [DeviceAccount(EV.signing)])
        with pytest.raises(PaymentFailed, match="cannot reach"):
            pay.available(pid(EV))
        with pytest.raises(PaymentFailed, match="mat-1"):
            pay.prepare(contract(1))
        with pytest.raises(PaymentFailed):
            pay.submit(PreparedPayment(b"\x01" * 32, b"not a message", 1))
