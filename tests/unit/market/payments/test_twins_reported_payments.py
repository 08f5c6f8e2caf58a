"""A payment the consumer's agent made itself, read back from an in-process node and checked:
``LedgerPayments.verify``, and the marketplace's ``PaymentsByAgents`` that relies on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twins_support import EV, SOLAR, STRANGER, Ledger, in_process_ledger, pay_from, pid

from plaza.adapters.ledger.local import LocalLedger
from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bootstrap import PaymentsByAgents
from plaza.clients.node import NodeClient
from plaza.crypto import Address, SigningKey
from plaza.ledger.model import DataPayload, Output, TransferPayload
from plaza.market.payments.service import PAYMENT_TAG, LedgerPayments, payment_data
from plaza.market.settlement import (
    Contract,
    PaymentFailed,
    PaymentRejected,
    PaymentStatus,
    PreparedPayment,
    Rejection,
)
from plaza.testing import FakeClock

CONTRACT = Contract("mat-1", pid(SOLAR), pid(EV), 10, 30, 0)  # total 300


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with in_process_ledger() as running:
        yield running


def checker(ledger: Ledger) -> LedgerPayments:
    """The marketplace's side: no device key, only the ledger."""
    return LedgerPayments(LocalLedger(ledger.runtime), [])


def transfer(
    ledger: Ledger, signer: SigningKey, payee: str, amount: int, contract_id: str | None = "mat-1"
) -> bytes:
    """An agent's own transfer, submitted; its data names ``contract_id`` (None: plain)."""
    port = LocalLedger(ledger.runtime)
    named = contract_id is not None
    payload = TransferPayload(
        (Output(Address.parse(payee).raw, amount),),
        PAYMENT_TAG if named else b"",
        payment_data(contract_id, b"salt-123") if contract_id is not None else b"",
    )
    message = port.compose(signer, payload)
    port.submit(message.raw)
    return message.id


def test_the_consumers_own_transfer_is_the_payment_and_confirms(ledger: Ledger) -> None:
    pay_from(ledger, ledger.treasury, pid(EV), 1_000)
    ledger.milestone()
    message_id = transfer(ledger, EV.signing, pid(SOLAR), 300)
    payments = checker(ledger)
    payment = payments.verify(CONTRACT, message_id)
    assert (payment.message_id, payment.amount) == (message_id, 300)
    assert payment.raw == ledger.runtime.tangle.get_message(message_id).raw
    assert payments.status(payment) is PaymentStatus.PENDING
    ledger.milestone()
    assert payments.status(payment) is PaymentStatus.CONFIRMED


def _data_message(ledger: Ledger) -> bytes:
    raw = ledger.gateway.compose(EV.signing, DataPayload(b"twin", b"not money")).raw
    return ledger.gateway.submit(raw)


def test_each_wrong_message_is_rejected_with_its_reason(ledger: Ledger) -> None:
    cases = {
        Rejection.UNKNOWN_MESSAGE: b"\x07" * 32,
        Rejection.NOT_A_TRANSFER: _data_message(ledger),
        Rejection.WRONG_PAYER: transfer(ledger, STRANGER.signing, pid(SOLAR), 300),
        Rejection.WRONG_PAYEE: transfer(ledger, EV.signing, pid(STRANGER), 300),
        Rejection.SHORT_AMOUNT: transfer(ledger, EV.signing, pid(SOLAR), 299),
        Rejection.WRONG_CONTRACT: transfer(ledger, EV.signing, pid(SOLAR), 300, "mat-2"),
    }
    payments = checker(ledger)
    for rejection, message_id in cases.items():
        with pytest.raises(PaymentRejected) as refused:
            payments.verify(CONTRACT, message_id)
        assert (refused.value.rejection, refused.value.contract_id) == (rejection, "mat-1")
    plain = transfer(ledger, EV.signing, pid(SOLAR), 300, None)
    with pytest.raises(PaymentRejected, match="names no contract"):
        payments.verify(CONTRACT, plain)


def test_parties_that_are_no_addresses_are_a_failure_not_a_rejection(ledger: Ledger) -> None:
    message_id = transfer(ledger, EV.signing, pid(SOLAR), 300)
    odd = Contract("mat-1", "solar-panel-7", pid(EV), 10, 30, 0)
    with pytest.raises(PaymentFailed, match="no address") as failed:
        checker(ledger).verify(odd, message_id)
    assert not isinstance(failed.value, PaymentRejected)


def test_an_unreachable_node_is_a_failure_to_retry_not_a_rejection() -> None:
    with NodeClient("http://127.0.0.1:9", timeout=0.5) as client:
        payments = LedgerPayments(RemoteLedger(client, clock=FakeClock()), [])
        with pytest.raises(PaymentFailed, match="cannot reach") as failed:
            payments.verify(CONTRACT, b"\x07" * 32)
    assert not isinstance(failed.value, PaymentRejected)


def test_the_marketplace_checks_and_confirms_through_its_node_and_pays_nothing(
    ledger: Ledger,
) -> None:
    pay_from(ledger, ledger.treasury, pid(EV), 1_000)
    ledger.milestone()
    payments = PaymentsByAgents(checker(ledger))
    payment = payments.verify(CONTRACT, transfer(ledger, EV.signing, pid(SOLAR), 300))
    ledger.milestone()
    assert payments.status(payment) is PaymentStatus.CONFIRMED
    with pytest.raises(PaymentFailed, match="consumer's agent"):
        payments.prepare(CONTRACT)
    unconfigured = PaymentsByAgents()
    with pytest.raises(PaymentFailed, match="no ledger node"):
        unconfigured.verify(CONTRACT, payment.message_id)
    with pytest.raises(PaymentFailed, match="no ledger node"):
        unconfigured.status(PreparedPayment(payment.message_id, payment.raw, 300))
