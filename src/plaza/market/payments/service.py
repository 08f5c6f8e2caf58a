"""Settlement's :class:`~plaza.market.settlement.Payments` on the real ledger.

:class:`LedgerPayments` acts for a participant's agent: it holds the device key of
each consumer it pays for (a participant id *is* the ``plz1…`` address of its
signing key, so the device key's address is where the participant's money is)
and, optionally, a way to fund the device from its owner's wallet.

Paying exactly once rests on three rules:

* ``prepare`` signs a transfer and returns its bytes without sending them;
  settlement saves them first, and ``submit`` only ever sends saved bytes (the
  same bytes twice are one message: the node answers "known");
* each prepared transfer carries the contract id and a random salt in its data,
  so two payments can never be the same message by accident;
* ``status`` calls a payment FAILED only once it can never apply: confirmed as
  conflicting (but a *replay* conflict means the very same signed transfer was
  applied under another nonce: that is CONFIRMED), or still unconfirmed after the
  ledger's time has passed its issue time plus ``TRANSFER_TTL_MS``. Ledger time
  is the latest milestone's, not this agent's clock, which may be ahead.

A payment the consumer's agent made on its own and reports (``verify``) is read
back from the ledger and checked there: a transfer signed by the consumer's
address, paying the provider's at least the total, whose data names the
contract (``payment_data``), so one transfer never pays two contracts.

What the device can pay (``available``) is its confirmed balance less its
outgoing transfers still in flight, read from the ledger's history of its
address (so it survives restarts with no local state), plus fundings this agent
attached that are still pending: each payment names them as parents, so the
ledger applies the funding before the payment that needs it.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Protocol

from plaza.crypto import Address, InvalidAddress, SigningKey
from plaza.ledger.codec import decode_message
from plaza.ledger.errors import LedgerAccessError, LedgerError
from plaza.ledger.model import TRANSFER_TTL_MS, Conflict, Message, Output, TransferPayload
from plaza.market.payments.ports import TransferLedger
from plaza.market.settlement import (
    Contract,
    PaymentFailed,
    PaymentRejected,
    PaymentStatus,
    PreparedPayment,
    Rejection,
    ReportedTransfer,
)
from plaza.market.settlement.lifecycle import check_reported_payment
from plaza.wallet import DEFAULT_ACCOUNT, Wallet, WalletError

__all__ = [
    "FUNDING_TAG",
    "PAYMENT_TAG",
    "DeviceAccount",
    "Funder",
    "Funding",
    "KeyFunder",
    "LedgerPayments",
    "WalletFunder",
    "check_ledger_payment",
    "payment_contract_id",
    "payment_data",
]

PAYMENT_TAG = b"plaza-payment"
FUNDING_TAG = b"plaza-funding"
#: Transfers of a device address looked at for those in flight.
HISTORY_LIMIT = 100
#: Pending fundings a payment names as parents (the rest of its parents are tips).
_FUNDING_PARENTS = 4


@dataclass(frozen=True, slots=True)
class Funding:
    """A transfer that credits a device: its id, the amount it credits, its issue time."""

    message_id: bytes
    amount: int
    issued_at_ms: int


class Funder(Protocol):
    """An owner's funds, as a device's payments see them."""

    def fund(self, payee: Address, amount: int, *, reference: str) -> list[Funding]:
        """Attach transfers crediting ``payee`` with ``amount`` in all; they are pending."""
        ...


@dataclass(frozen=True, slots=True, repr=False)
class DeviceAccount:
    """A consumer's device key and where its owner's money comes from."""

    key: SigningKey
    funder: Funder | None = None

    @property
    def address(self) -> Address:
        return self.key.public_key.address

    @property
    def participant_id(self) -> str:
        return str(self.address)

    def __repr__(self) -> str:  # never the key
        return f"DeviceAccount({self.participant_id})"


class KeyFunder:
    """Funding by a direct transfer from an owner key this agent holds.

    Each funding carries a random salt, so a second funding of the same shortfall is a
    new transfer, never the first one again (which the ledger would take as known).
    """

    def __init__(
        self, owner: SigningKey, ledger: TransferLedger, *, tag: bytes = FUNDING_TAG
    ) -> None:
        """``tag``: what the transfers are tagged as on the ledger (a funding by default)."""
        self._owner = owner
        self._ledger = ledger
        self._tag = tag

    def fund(self, payee: Address, amount: int, *, reference: str) -> list[Funding]:
        data = json.dumps({"reference": reference, "salt": secrets.token_hex(8)}).encode()
        payload = TransferPayload((Output(payee.raw, amount),), self._tag, data)
        message = self._ledger.compose(self._owner, payload)
        self._ledger.submit(message.raw)
        return [Funding(message.id, amount, message.issued_at_ms)]


class WalletFunder:
    """Funding from an owner's :class:`~plaza.wallet.Wallet` account (it picks the payers)."""

    def __init__(self, wallet: Wallet, *, account: str = DEFAULT_ACCOUNT) -> None:
        self._wallet = wallet
        self._account = account

    def fund(self, payee: Address, amount: int, *, reference: str) -> list[Funding]:
        sent = self._wallet.send(
            payee, amount, account=self._account, tag=FUNDING_TAG, data=reference.encode()
        )
        return [
            Funding(
                transfer.message_id,
                sum(o.amount for o in transfer.outputs if o.address == payee.raw),
                transfer.issued_at_ms,
            )
            for transfer in sent.transfers
        ]


def payment_data(contract_id: str, salt: bytes) -> bytes:
    """What a payment carries besides value: its contract, and a salt that makes it unique."""
    return json.dumps({"contract": contract_id, "salt": salt.hex()}, sort_keys=True).encode()


def payment_contract_id(raw: bytes) -> str | None:
    """The contract a prepared payment pays, read back from its bytes (None: not a payment)."""
    try:
        return _named_contract(decode_message(raw).payload)
    except LedgerError:
        return None


def _named_contract(payload: object) -> str | None:
    if not isinstance(payload, TransferPayload) or payload.tag != PAYMENT_TAG:
        return None
    try:
        return str(json.loads(payload.data)["contract"])
    except (ValueError, KeyError, TypeError):
        return None


def check_ledger_payment(
    contract: Contract, message_id: bytes, message: Message | None
) -> PreparedPayment:
    """``message`` (None: the ledger does not have ``message_id``) checked as the payment of
    ``contract`` by :func:`~plaza.market.settlement.lifecycle.check_reported_payment`.

    Parties are compared as addresses, each participant id parsed, so the check
    never hinges on how an id is spelt.
    """
    if message is None:
        detail = f"the ledger has no message {message_id.hex()}"
        raise PaymentRejected(contract.id, Rejection.UNKNOWN_MESSAGE, detail)
    payload = message.payload
    if not isinstance(payload, TransferPayload):
        raise PaymentRejected(contract.id, Rejection.NOT_A_TRANSFER, "it is not a transfer")
    parties = replace(
        contract,
        consumer=_address_text(contract, contract.consumer),
        provider=_address_text(contract, contract.provider),
    )
    transfer = ReportedTransfer(
        message.id,
        message.raw,
        str(Address.from_public_key(message.issuer)),
        tuple((str(Address(output.address)), output.amount) for output in payload.outputs),
        _named_contract(payload),
    )
    return check_reported_payment(parties, transfer)


def _address_text(contract: Contract, participant: str) -> str:
    try:
        return str(Address.parse(participant))
    except InvalidAddress as error:
        raise PaymentFailed(contract.id, f"{participant!r} is no address: {error}") from None


@contextmanager
def _failing(reference: str) -> Iterator[None]:
    """Wallet and gateway errors as the :class:`PaymentFailed` settlement understands."""
    try:
        yield
    except (WalletError, LedgerAccessError) as error:
        raise PaymentFailed(reference, str(error)) from error


class LedgerPayments:
    """The payments of the consumers whose device keys this agent holds."""

    def __init__(
        self,
        ledger: TransferLedger,
        devices: Iterable[DeviceAccount],
        *,
        history_limit: int = HISTORY_LIMIT,
        salt: Callable[[], bytes] = lambda: secrets.token_bytes(8),
    ) -> None:
        self._ledger = ledger
        self._devices = {device.participant_id: device for device in devices}
        self._history_limit = history_limit
        self._salt = salt
        self._fundings: dict[bytes, dict[bytes, Funding]] = {}
        self._lock = threading.Lock()

    def available(self, participant: str) -> int:
        device = self._device(participant, participant)
        with _failing(participant):
            balance = self._ledger.balance(device.address)
            moves = self._ledger.history(device.address, limit=self._history_limit)
            now, index = self._ledger.ledger_time_ms(), balance.milestone_index
            outgoing = sum(
                -move.delta
                for move in moves
                if move.delta < 0
                and _in_flight(move.milestone_index, move.conflict, move.issued_at_ms, index, now)
            )
            incoming = sum(funding.amount for funding in self._pending_fundings(device, index))
        return balance.amount - outgoing + incoming

    def fund(self, participant: str, amount: int, *, reference: str) -> None:
        device = self._device(participant, reference)
        if device.funder is None:
            raise PaymentFailed(reference, f"no owner funds are known for {participant}")
        with _failing(reference):
            fundings = device.funder.fund(device.address, amount, reference=reference)
        with self._lock:
            mine = self._fundings.setdefault(device.address.raw, {})
            mine.update((funding.message_id, funding) for funding in fundings)

    def prepare(self, contract: Contract) -> PreparedPayment:
        device = self._device(contract.consumer, contract.id)
        try:
            payee = Address.parse(contract.provider)
        except InvalidAddress as error:
            raise PaymentFailed(contract.id, f"the provider is no address: {error}") from None
        if contract.total <= 0:
            raise PaymentFailed(contract.id, "the contract total is not positive")
        data = payment_data(contract.id, self._salt())
        payload = TransferPayload((Output(payee.raw, contract.total),), PAYMENT_TAG, data)
        with _failing(contract.id):
            funding = self._pending_fundings(device, None)[:_FUNDING_PARENTS]
            message = self._ledger.compose(
                device.key, payload, first_parents=[f.message_id for f in funding]
            )
        return PreparedPayment(message.id, message.raw, contract.total)

    def submit(self, payment: PreparedPayment) -> None:
        with _failing(payment_contract_id(payment.raw) or payment.message_id.hex()):
            self._ledger.submit(payment.raw)

    def status(self, payment: PreparedPayment) -> PaymentStatus:
        reference = payment_contract_id(payment.raw) or payment.message_id.hex()
        with _failing(reference):
            metadata = self._ledger.metadata(payment.message_id)
            if metadata is not None and metadata.milestone_index is not None:
                applied = metadata.conflict in (Conflict.NONE, Conflict.REPLAYED)
                return PaymentStatus.CONFIRMED if applied else PaymentStatus.FAILED
            issued_at_ms = decode_message(payment.raw).issued_at_ms
            if self._ledger.ledger_time_ms() - issued_at_ms > TRANSFER_TTL_MS:
                return PaymentStatus.FAILED
        return PaymentStatus.PENDING

    def verify(self, contract: Contract, message_id: bytes) -> PreparedPayment:
        """Needs no device key: anyone's payment can be read back and checked."""
        with _failing(contract.id):
            message = self._ledger.message(message_id)
        return check_ledger_payment(contract, message_id, message)

    def _device(self, participant: str, reference: str) -> DeviceAccount:
        device = self._devices.get(participant)
        if device is None:
            raise PaymentFailed(reference, f"this agent holds no device key of {participant}")
        return device

    def _pending_fundings(self, device: DeviceAccount, balance_index: int | None) -> list[Funding]:
        """Fundings not yet in a balance read at ``balance_index`` (None: not yet confirmed);
        those that can no longer count (in the balance, conflicting, expired) are forgotten."""
        with self._lock:
            mine = dict(self._fundings.get(device.address.raw, {}))
        if not mine:
            return []
        now = self._ledger.ledger_time_ms()
        pending: list[Funding] = []
        done: list[bytes] = []
        for funding in mine.values():
            metadata = self._ledger.metadata(funding.message_id)
            if metadata is None:
                done.append(funding.message_id)
                continue
            index = metadata.milestone_index
            if _in_flight(index, metadata.conflict, funding.issued_at_ms, balance_index, now):
                pending.append(funding)
            elif index is None or balance_index is not None:  # expired, or in the balance
                done.append(funding.message_id)
        with self._lock:
            for message_id in done:
                self._fundings.get(device.address.raw, {}).pop(message_id, None)
        return pending


def _in_flight(
    milestone_index: int | None,
    conflict: Conflict,
    issued_at_ms: int,
    balance_index: int | None,
    now_ms: int,
) -> bool:
    """Whether a transfer still moves money a balance read at ``balance_index`` lacks.

    Unconfirmed: until its lifetime is over. Confirmed: only if applied after that
    balance was read (``balance_index`` None: the caller wants unconfirmed ones only).
    """
    if milestone_index is None:
        return now_ms - issued_at_ms <= TRANSFER_TTL_MS
    if balance_index is None:
        return False
    return milestone_index > balance_index and conflict is Conflict.NONE
